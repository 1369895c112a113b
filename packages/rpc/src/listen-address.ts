/**
 * The host of a `host:port` listen address (`[::1]:7000` gives `::1`), for a process's other
 * servers (metrics, health) to bind the same interface it was told to use for gRPC rather than
 * every interface.
 */
export function listenHost(address: string): string {
  const bracketed = /^\[([^\]]+)\]:\d+$/.exec(address);
  if (bracketed) return bracketed[1];
  const colon = address.lastIndexOf(':');
  if (colon <= 0) throw new Error(`listen address ${address} is not host:port`);
  return address.slice(0, colon);
}
