#!/usr/bin/env python3
"""The small-shop application flow (README.md in this folder) through boto3, as an application
written for AWS would run it, with only the endpoint changed.

    AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_DEFAULT_REGION=us-east-1 \
        python3 app_flow.py --endpoint http://localhost:8000

Uses the resource API (Table, batch_writer, Key/Attr conditions) as applications mostly do, and a
plain client for the paginators and waiters. Prints one "ok" line per step; on the first failed
check prints "app_flow.py: FAILED at step N (title): what was wrong" to stderr and exits 1.
Creates the table from table.json and deletes it at the end.
"""
import argparse
import concurrent.futures
import json
import os
import sys
import time
import traceback
from decimal import Decimal

import boto3
from boto3.dynamodb.conditions import Attr, Key
from boto3.dynamodb.types import TypeDeserializer

HERE = os.path.dirname(os.path.abspath(__file__))
# How long a read of a global index (eventually consistent) may take to show a write.
INDEX_CATCH_UP_S = 10.0
# Rounds of re-sending UnprocessedItems before giving up.
UNPROCESSED_ROUNDS_MAX = 10
# BatchWriteItem takes at most 25 requests.
BATCH_WRITE_REQUESTS_MAX = 25


class Failure(Exception):
    """A check of the flow did not hold."""


def show(value):
    return json.dumps(value, default=str, sort_keys=True)


def check(condition, message):
    if not condition:
        raise Failure(message)


def check_equal(actual, expected, what):
    if actual != expected:
        raise Failure(f"{what}:\n  expected {show(expected)}\n  got      {show(actual)}")


def eventually(what, attempt, timeout_s=INDEX_CATCH_UP_S):
    """Runs attempt until it passes its checks, for at most timeout_s (global index reads lag)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return attempt()
        except Failure as failure:
            if time.monotonic() >= deadline:
                raise Failure(f"timed out after {timeout_s:.0f} s waiting for {what}: {failure}") from None
            time.sleep(0.1)


def expect_conditional_check_failed(client, call):
    try:
        call()
    except client.exceptions.ConditionalCheckFailedException:
        return
    raise Failure("expected ConditionalCheckFailedException, but the write succeeded")


# --- the shop and what each step should find (the same derivations as shop.ts) ---------------

def load_json(path):
    # Numbers as Decimal: boto3 refuses floats, as DynamoDB numbers are decimal.
    with open(path, encoding="utf-8") as f:
        return json.load(f, parse_float=Decimal)


def key_of(entity):
    return {"PK": entity["PK"], "SK": entity["SK"]}


def gsi1_key_of(entity):
    return {name: entity[name] for name in ("PK", "SK", "GSI1PK", "GSI1SK")}


def gsi2_projection(entity):
    return {name: entity[name] for name in ("PK", "SK", "GSI2PK", "GSI2SK", "name", "quantity") if name in entity}


class Shop:
    def __init__(self, table_input, shop):
        self.table_input = table_input
        self.table_name = table_input["TableName"]
        self.scenario = shop["scenario"]
        self.entities = shop["entities"]

    def user(self, user_id):
        return next(e for e in self.entities if e["type"] == "USER" and e["userId"] == user_id)

    def order(self, order_id):
        return next(e for e in self.entities if e["type"] == "ORDER" and e["orderId"] == order_id)

    def orders_newest_first(self, user_id):
        orders = [e for e in self.entities if e["type"] == "ORDER" and e["userId"] == user_id]
        return sorted(orders, key=lambda e: e["SK"], reverse=True)

    def items_of(self, order_id):
        return sorted((e for e in self.entities if e["type"] == "ITEM" and e["orderId"] == order_id), key=lambda e: e["SK"])

    @staticmethod
    def orders_with_status(status, entities):
        return sorted((e for e in entities if e.get("GSI1PK") == f"STATUS#{status}"), key=lambda e: e["GSI1SK"])

    @staticmethod
    def gsi2_entries(gsi2pk, entities):
        return [gsi2_projection(e) for e in sorted((e for e in entities if e.get("GSI2PK") == gsi2pk), key=lambda e: e["GSI2SK"])]

    def after_shipping(self):
        ship = self.scenario["shipOrder"]
        return [
            {**e, "status": "SHIPPED", "GSI1PK": "STATUS#SHIPPED", "shippedAt": ship["shippedAt"]}
            if e["type"] == "ORDER" and e["orderId"] == ship["orderId"] else e
            for e in self.entities
        ]


# --- the flow ---------------------------------------------------------------------------------

class Flow:
    def __init__(self, endpoint, shop):
        self.shop = shop
        self.s = shop.scenario
        # The resource API for the application's reads and writes, a plain client for paginators
        # and waiters: both configured as for AWS but for the endpoint. Credentials and region
        # come from the environment.
        self.dynamodb = boto3.resource("dynamodb", endpoint_url=endpoint)
        self.client = boto3.client("dynamodb", endpoint_url=endpoint)
        self.table = self.dynamodb.Table(shop.table_name)
        self.deserializer = TypeDeserializer()

    def plain(self, item):
        return {name: self.deserializer.deserialize(value) for name, value in item.items()}

    def query_all(self, **kwargs):
        items, start = [], None
        while True:
            page = self.table.query(**kwargs, **({"ExclusiveStartKey": start} if start else {}))
            items.extend(page["Items"])
            start = page.get("LastEvaluatedKey")
            if not start:
                return items

    def gsi1_all(self, status):
        return self.query_all(IndexName="GSI1", KeyConditionExpression=Key("GSI1PK").eq(f"STATUS#{status}"))

    def gsi2_all(self, gsi2pk):
        return self.query_all(IndexName="GSI2", KeyConditionExpression=Key("GSI2PK").eq(gsi2pk))

    def user_orders(self, user_id, **extra):
        return self.table.query(
            KeyConditionExpression=Key("PK").eq(f"USER#{user_id}") & Key("SK").begins_with("ORDER#"),
            ScanIndexForward=False,
            ConsistentRead=True,
            **extra,
        )

    def check_indexes_active(self, description):
        indexes = sorted(description.get("GlobalSecondaryIndexes", []), key=lambda index: index["IndexName"])
        check_equal(
            [(i["IndexName"], i["IndexStatus"], i["KeySchema"], i["Projection"]) for i in indexes],
            [(i["IndexName"], "ACTIVE", i["KeySchema"], i["Projection"]) for i in self.shop.table_input["GlobalSecondaryIndexes"]],
            "DescribeTable's GlobalSecondaryIndexes (name, status, key, projection)",
        )

    def step_create(self):
        table = self.dynamodb.create_table(**self.shop.table_input)
        check(table.table_status in ("CREATING", "ACTIVE"), f"CreateTable answered status {table.table_status}")
        self.client.get_waiter("table_exists").wait(
            TableName=self.shop.table_name, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
        )
        described = self.client.describe_table(TableName=self.shop.table_name)["Table"]
        check_equal(described["TableStatus"], "ACTIVE", "TableStatus")
        check_equal(described["KeySchema"], self.shop.table_input["KeySchema"], "KeySchema")
        check_equal(described.get("BillingModeSummary", {}).get("BillingMode"), "PAY_PER_REQUEST", "BillingMode")
        self.check_indexes_active(described)

    def step_load(self):
        # batch_writer sends BatchWriteItem 25 at a time and sends UnprocessedItems again.
        with self.table.batch_writer() as batch:
            for entity in self.shop.entities:
                batch.put_item(Item=entity)
        someone = self.shop.user(self.s["pagedUser"])
        got = self.table.get_item(Key=key_of(someone), ConsistentRead=True).get("Item")
        check_equal(got, someone, "a user read back after the load")
        count = 0
        for page in self.client.get_paginator("scan").paginate(TableName=self.shop.table_name, Select="COUNT", ConsistentRead=True):
            count += page["Count"]
        check_equal(count, len(self.shop.entities), "items in the table after the load")

    def step_page(self):
        user_id, page_size = self.s["pagedUser"], self.s["pageSize"]
        expected = self.shop.orders_newest_first(user_id)
        pages, start = [], None
        while True:
            page = self.user_orders(user_id, Limit=page_size, **({"ExclusiveStartKey": start} if start else {}))
            pages.append(page["Items"])
            start = page.get("LastEvaluatedKey")
            if start:
                check_equal(start, key_of(page["Items"][-1]), "LastEvaluatedKey of a page cut short by Limit")
            else:
                break
            check(len(pages) <= len(expected), "pagination does not end")
        check_equal([len(p) for p in pages], [5, 5, 2], "page sizes (Limit + ExclusiveStartKey)")
        check_equal([i for p in pages for i in p], expected, "the user's orders, newest first")

        paginator = self.client.get_paginator("query")
        pages = [
            [self.plain(item) for item in page["Items"]]
            for page in paginator.paginate(
                TableName=self.shop.table_name,
                KeyConditionExpression="PK = :pk AND begins_with(SK, :order)",
                ExpressionAttributeValues={":pk": {"S": f"USER#{user_id}"}, ":order": {"S": "ORDER#"}},
                ScanIndexForward=False,
                ConsistentRead=True,
                PaginationConfig={"PageSize": page_size},
            )
        ]
        check_equal([len(p) for p in pages], [5, 5, 2], "page sizes (get_paginator('query'))")
        check_equal([i for p in pages for i in p], expected, "the user's orders through the paginator")

    def step_gsi1(self):
        status = self.s["status"]
        expected = self.shop.orders_with_status(status, self.shop.entities)
        check(len(expected) > 4, "the scenario's status needs more than one page of 4")

        def attempt():
            pages, last_keys = [], []
            for page in self.client.get_paginator("query").paginate(
                TableName=self.shop.table_name,
                IndexName="GSI1",
                KeyConditionExpression="GSI1PK = :status",
                ExpressionAttributeValues={":status": {"S": f"STATUS#{status}"}},
                PaginationConfig={"PageSize": 4},
            ):
                pages.append([self.plain(item) for item in page["Items"]])
                if "LastEvaluatedKey" in page:
                    last_keys.append(self.plain(page["LastEvaluatedKey"]))
            check_equal([i for p in pages for i in p], expected, f"GSI1 {status} orders")
            check_equal([len(p) for p in pages], [4, len(expected) - 4], "GSI1 page sizes")
            check_equal(last_keys, [gsi1_key_of(expected[3])], "GSI1 LastEvaluatedKey")

        eventually(f"GSI1 to list the {status} orders", attempt)

    def step_gsi2(self):
        user = next(e for e in self.shop.entities if e.get("email") == self.s["email"])
        product = f"PRODUCT#{self.s['product']}"

        def attempt():
            by_email = self.table.query(IndexName="GSI2", KeyConditionExpression=Key("GSI2PK").eq(f"EMAIL#{self.s['email']}"))["Items"]
            check_equal(by_email, [{"PK": user["PK"], "SK": "PROFILE", "GSI2PK": user["GSI2PK"], "GSI2SK": "PROFILE", "name": user["name"]}], "GSI2 by email")
            check_equal(self.gsi2_all(product), self.shop.gsi2_entries(product, self.shop.entities), "GSI2 by product")

        eventually("GSI2 to find the user by email and the items by product", attempt)

    def step_ship(self):
        ship = self.s["shipOrder"]
        target = self.shop.order(ship["orderId"])
        check_equal(target["status"], "PENDING", "the order to ship, in shop.json")

        def ship_it():
            return self.table.update_item(
                Key=key_of(target),
                UpdateExpression="SET #status = :shipped, GSI1PK = :gsi1pk, shippedAt = :at",
                ConditionExpression=Attr("status").eq("PENDING"),
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":shipped": "SHIPPED", ":gsi1pk": "STATUS#SHIPPED", ":at": ship["shippedAt"]},
                ReturnValues="ALL_NEW",
            )

        answer = ship_it()
        check_equal(answer["Attributes"], {**target, "status": "SHIPPED", "GSI1PK": "STATUS#SHIPPED", "shippedAt": ship["shippedAt"]}, "ALL_NEW after shipping")
        expect_conditional_check_failed(self.table.meta.client, ship_it)

        shipped = self.shop.after_shipping()

        def attempt():
            check_equal(self.gsi1_all("PENDING"), self.shop.orders_with_status("PENDING", shipped), "GSI1 PENDING after shipping")
            check_equal(self.gsi1_all("SHIPPED"), self.shop.orders_with_status("SHIPPED", shipped), "GSI1 SHIPPED after shipping")

        eventually("GSI1 to move the order from PENDING to SHIPPED", attempt)

    def step_counters(self):
        counter = self.s["counter"]
        profile = self.shop.user(counter["userId"])
        # Clients are thread-safe; resources are not: the threads share the resource's client.
        client = self.table.meta.client

        def update(expression, n):
            return client.update_item(
                TableName=self.shop.table_name,
                Key=key_of(profile),
                UpdateExpression=expression,
                ExpressionAttributeValues={":n": n},
                ReturnValues="UPDATED_NEW",
            )["Attributes"]["orderCount"]

        calls = [("ADD orderCount :n", 1)] * counter["adds"] + [("SET orderCount = orderCount + :n", counter["setStep"])] * counter["sets"]
        with concurrent.futures.ThreadPoolExecutor(max_workers=len(calls)) as pool:
            returned = list(pool.map(lambda call: update(*call), calls))
        final = profile["orderCount"] + counter["adds"] + counter["sets"] * counter["setStep"]
        check_equal(len(set(returned)), len(calls), f"distinct UPDATED_NEW values (got {sorted(returned)})")
        check_equal(max(returned), final, "the largest UPDATED_NEW value")
        got = self.table.get_item(Key=key_of(profile), ConsistentRead=True)["Item"]
        check_equal(got, {**profile, "orderCount": final}, "the profile after the counters")

    def step_create_if_absent(self):
        new_user = self.s["newUser"]
        existing = self.shop.user(self.s["pagedUser"])

        def create_if_absent(item):
            return self.table.put_item(Item=item, ConditionExpression=Attr("PK").not_exists())

        create_if_absent(new_user)
        expect_conditional_check_failed(self.table.meta.client, lambda: create_if_absent({**new_user, "name": "Someone Else"}))
        expect_conditional_check_failed(self.table.meta.client, lambda: create_if_absent({**existing, "name": "Mallory", "orderCount": 0}))
        check_equal(self.table.get_item(Key=key_of(new_user), ConsistentRead=True).get("Item"), new_user, "the created user")
        check_equal(self.table.get_item(Key=key_of(existing), ConsistentRead=True).get("Item"), existing, "the existing user, untouched")
        eventually(
            "GSI2 to find the new user by email",
            lambda: check_equal(self.gsi2_all(new_user["GSI2PK"]), self.shop.gsi2_entries(new_user["GSI2PK"], [new_user]), "GSI2 by the new email"),
        )

    def batch_write(self, requests):
        """BatchWriteItem 25 at a time, sending UnprocessedItems again with a short backoff."""
        for first in range(0, len(requests), BATCH_WRITE_REQUESTS_MAX):
            pending = {self.shop.table_name: requests[first:first + BATCH_WRITE_REQUESTS_MAX]}
            for round_ in range(UNPROCESSED_ROUNDS_MAX + 1):
                check(round_ < UNPROCESSED_ROUNDS_MAX, f"still unprocessed after {round_} rounds: {show(pending)}")
                if round_:
                    time.sleep(0.05 * 2 ** round_)
                pending = self.dynamodb.batch_write_item(RequestItems=pending).get("UnprocessedItems")
                if not pending:
                    break

    def step_delete_order(self):
        remove = self.s["deleteOrder"]
        order_id = remove["orderId"]
        target = self.shop.order(order_id)
        items = self.shop.items_of(order_id)
        item_keys = self.table.query(
            KeyConditionExpression=Key("PK").eq(f"ORDER#{order_id}"), ProjectionExpression="PK, SK", ConsistentRead=True
        )["Items"]
        check_equal(item_keys, [key_of(i) for i in items], "the order's item keys")
        self.batch_write([{"DeleteRequest": {"Key": key}} for key in item_keys + [key_of(target)]])

        check(self.table.get_item(Key=key_of(target), ConsistentRead=True).get("Item") is None, "the deleted order is still there")
        left_items = self.table.query(KeyConditionExpression=Key("PK").eq(f"ORDER#{order_id}"), ConsistentRead=True)
        check_equal(left_items["Count"], 0, "items of the deleted order")
        user_orders = self.query_all(
            KeyConditionExpression=Key("PK").eq(f"USER#{remove['userId']}") & Key("SK").begins_with("ORDER#"),
            ScanIndexForward=False,
            ConsistentRead=True,
        )
        check_equal(user_orders, [o for o in self.shop.orders_newest_first(remove["userId"]) if o["orderId"] != order_id], "the user's orders after the delete")

        left = [e for e in self.shop.after_shipping() if e.get("orderId") != order_id]
        products = sorted({i["GSI2PK"] for i in items})

        def attempt():
            check_equal(self.gsi1_all(target["status"]), self.shop.orders_with_status(target["status"], left), f"GSI1 {target['status']} after the delete")
            for product in products:
                check_equal(self.gsi2_all(product), self.shop.gsi2_entries(product, left), f"GSI2 {product} after the delete")

        eventually("the deleted order and its items to leave GSI1 and GSI2", attempt)

    def step_scan_count(self):
        order_id = self.s["deleteOrder"]["orderId"]
        left = [e for e in self.shop.entities + [self.s["newUser"]] if e.get("orderId") != order_id]
        expected = {
            "count": sum(1 for e in left if e["SK"].startswith("ITEM#") and e["quantity"] >= self.s["scanMinQuantity"]),
            "scannedCount": len(left),
        }
        count = scanned = pages = 0
        start = None
        while True:
            page = self.table.scan(
                FilterExpression=Attr("SK").begins_with("ITEM#") & Attr("quantity").gte(self.s["scanMinQuantity"]),
                Select="COUNT",
                ConsistentRead=True,
                Limit=self.s["scanPageSize"],
                **({"ExclusiveStartKey": start} if start else {}),
            )
            check("Items" not in page, "Select COUNT returned Items")
            count += page["Count"]
            scanned += page["ScannedCount"]
            start = page.get("LastEvaluatedKey")
            pages += 1
            check(pages <= 100, "scan does not end")
            if not start:
                break
        check(pages > 1, f"the scan took {pages} page(s) of {self.s['scanPageSize']}")
        check_equal({"count": count, "scannedCount": scanned}, expected, "Scan Select COUNT totals")

    def step_delete_table(self):
        self.table.reload()
        check_equal(self.table.table_status, "ACTIVE", "TableStatus before the delete")
        self.check_indexes_active({"GlobalSecondaryIndexes": self.table.global_secondary_indexes})
        answer = self.table.delete()
        check_equal(answer["TableDescription"]["TableName"], self.shop.table_name, "DeleteTable's TableName")
        self.client.get_waiter("table_not_exists").wait(
            TableName=self.shop.table_name, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
        )
        check(self.shop.table_name not in self.client.list_tables()["TableNames"], "ListTables still lists the table")
        try:
            self.client.describe_table(TableName=self.shop.table_name)
        except self.client.exceptions.ResourceNotFoundException:
            return
        raise Failure("DescribeTable of the deleted table succeeded")


STEPS = [
    ("create the table with two GSIs and wait until it exists", Flow.step_create),
    ("batch-write every entity (batch_writer)", Flow.step_load),
    ("page through a user's orders newest first (Limit + ExclusiveStartKey, paginator)", Flow.step_page),
    ("GSI1: every order with a status, through the paginator", Flow.step_gsi1),
    ("GSI2: a user by email, the items of a product", Flow.step_gsi2),
    ("ship an order only if still PENDING; again fails; GSI1 follows", Flow.step_ship),
    ("concurrent ADD and SET x = x + :n counters end exactly right", Flow.step_counters),
    ("create a user only if absent (attribute_not_exists)", Flow.step_create_if_absent),
    ("delete an order and its items; gone from the table and both GSIs", Flow.step_delete_order),
    ("scan with a filter and Select COUNT", Flow.step_scan_count),
    ("GSIs ACTIVE; delete the table and wait until it is gone", Flow.step_delete_table),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True, help="the DynamoDB endpoint, e.g. http://localhost:8000")
    parser.add_argument("--table-json", default=os.path.join(HERE, "table.json"))
    parser.add_argument("--shop-json", default=os.path.join(HERE, "shop.json"))
    args = parser.parse_args()

    flow = Flow(args.endpoint, Shop(load_json(args.table_json), load_json(args.shop_json)))
    print(f"boto3 {boto3.__version__} against {args.endpoint}", flush=True)
    for number, (title, step) in enumerate(STEPS, start=1):
        started = time.monotonic()
        try:
            step(flow)
        except Failure as failure:
            print(f"app_flow.py: FAILED at step {number} ({title}): {failure}", file=sys.stderr, flush=True)
            return 1
        except Exception as error:  # an unexpected error of the client or the service
            traceback.print_exc()
            print(f"app_flow.py: FAILED at step {number} ({title}): {type(error).__name__}: {error}", file=sys.stderr, flush=True)
            return 1
        print(f"ok {number} {title} ({time.monotonic() - started:.2f} s)", flush=True)
    print(f"app flow passed: {len(STEPS)} steps", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
