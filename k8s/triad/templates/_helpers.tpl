{{/* Names are kept short: "<fullname>-storage-<zone>" must fit a StatefulSet name (52 characters). */}}
{{- define "triad.name" -}}
{{- .Chart.Name -}}
{{- end -}}

{{- define "triad.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 26 | trimSuffix "-" -}}
{{- else if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 26 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 26 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "triad.labels" -}}
app.kubernetes.io/name: {{ include "triad.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: triad
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "triad.selectorLabels" -}}
app.kubernetes.io/name: {{ include "triad.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "triad.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "triad.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "triad.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* The headless Service of the storage nodes: stable pod DNS names and gossip seeds. */}}
{{- define "triad.storageService" -}}
{{- printf "%s-storage" (include "triad.fullname" .) -}}
{{- end -}}

{{/*
The cluster layout: every storage pod of every zone's StatefulSet, by its stable DNS name
(<pod>.<headless service>.<namespace>.svc.<cluster domain>). The node id is the pod name.
*/}}
{{- define "triad.layout" -}}
{{- $fullname := include "triad.fullname" . -}}
{{- $service := include "triad.storageService" . -}}
{{- $nodes := list -}}
{{- range $zone := .Values.storage.zones -}}
{{- range $ordinal := until (int $.Values.storage.replicasPerZone) -}}
{{- $pod := printf "%s-storage-%s-%d" $fullname $zone $ordinal -}}
{{- $address := printf "%s.%s.%s.svc.%s:%d" $pod $service $.Release.Namespace $.Values.clusterDomain (int $.Values.storage.grpcPort) -}}
{{- $nodes = append $nodes (dict "id" $pod "zone" $zone "address" $address) -}}
{{- end -}}
{{- end -}}
{{- dict "partitionCount" (int .Values.partitionCount) "storageNodes" $nodes | toPrettyJson -}}
{{- end -}}

{{/* The Secret holding the gRPC mutual TLS certificate (ca.crt, tls.crt, tls.key). */}}
{{- define "triad.grpcTlsSecret" -}}
{{- if and (eq .Values.tls.grpc.source "certManager") (not .Values.tls.grpc.secretName) -}}
{{- printf "%s-grpc-tls" (include "triad.fullname" .) -}}
{{- else -}}
{{- .Values.tls.grpc.secretName -}}
{{- end -}}
{{- end -}}

{{/* The Secret holding the routers' HTTPS certificate. */}}
{{- define "triad.httpTlsSecret" -}}
{{- if and (eq .Values.tls.http.source "certManager") (not .Values.tls.http.secretName) -}}
{{- printf "%s-http-tls" (include "triad.fullname" .) -}}
{{- else -}}
{{- .Values.tls.http.secretName -}}
{{- end -}}
{{- end -}}

{{/* Where the gRPC certificate is mounted in every pod. */}}
{{- define "triad.grpcTlsDir" -}}/etc/triad-tls/grpc{{- end -}}
{{- define "triad.httpTlsDir" -}}/etc/triad-tls/http{{- end -}}
