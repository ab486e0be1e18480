"""Incremental builds: a warehouse built again allocates only the days whose inputs changed, and
after any sequence of such builds its marts equal a full build of the final input, row for row.

One generated input is delivered the way it happens: the month's files re-delivered with one more
day, the same files again, then a restatement (a changed bill line of an earlier day, an
unreadable one of another, late telemetry for the first day, a telemetry row given another feature,
a customer moving segment), then a rule change from a later day, then
late telemetry with a short lookback window (inside it allocated; outside it held back, reported,
then allocated with --reprocess-from). The same warehouse takes each delivery;
a --full-refresh build of a copy of it builds the last delivery in full. Each delivery lists its
rows in date order, as an export that grows by appending does: a bill line is identified by its
file and row number, so a line that moves within its file is a changed line.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from conftest import Completed, build_ok, query, rows_only_in_one, run_cpc
from cpc import publish
from cpc.build import dbt_paths
from cpc.deliveries import deliver_through, rewrite_csv
from cpc.fingerprint import compare

CUSTOMERS, DAYS, SEED = 24, 6, 5
FIRST_DAY = date(2024, 1, 1)
LAST_DAY = FIRST_DAY + timedelta(days=DAYS - 1)
RULE_CHANGE_DAY = FIRST_DAY + timedelta(days=1)
LOOKBACK_DAYS = 2
LATE_DAY = FIRST_DAY + timedelta(days=1)
QUARANTINE_DAY = FIRST_DAY + timedelta(days=3)
RELABELLED_DAY = FIRST_DAY + timedelta(days=4)  # a telemetry row's feature changes, not its quantity

def _allocated(warehouse: Path) -> dict[str, str]:
    """The days the last build allocated, with the reason."""
    return {str(day): reason for day, reason in
            query(warehouse, "select cost_date, reprocess_reason from intermediate.int_days_to_process")}


def _recorded_versions(warehouse: Path) -> int:
    """How many customer-month versions the history behind customer_cost_restatements holds."""
    return query(warehouse, "select count(*) from intermediate.int_customer_costs_recorded")[0][0]


def _customer_months(warehouse: Path) -> dict[tuple, Decimal]:
    return {(str(month), customer, currency): Decimal(str(cost)) for month, customer, currency, cost in
            query(warehouse, "select month, customer_id, currency, total_cost from marts.customer_costs_monthly")}


def _driver_quantity(warehouse: Path, day: date) -> Decimal:
    """The usage quantity the ledger allocated by on a day."""
    return Decimal(str(query(warehouse, "select coalesce(sum(driver_quantity), 0) from marts.customer_costs_daily"
                                        f" where allocation_method = 'usage' and cost_date = date '{day}'")[0][0]))


def _summary(warehouse: Path) -> dict:
    target, _ = dbt_paths(warehouse, "duckdb")
    return json.loads((target / "cpc_build.json").read_text())


@dataclass
class Deliveries:
    steps: dict[str, dict[str, str]]
    outputs: dict[str, Completed]
    summaries: dict[str, dict]
    incremental: Path
    before_restatement: Path
    after_restatement: Path
    full: Path
    restated_input: Path
    recorded: dict[str, int]
    #: The day the generated rules planned the platform-overhead policy change for.
    planned_rule_change: date
    #: The ledger's usage quantity of LATE_DAY before the late telemetry, once it is held back, and
    #: once reprocessed.
    held_back_quantity: dict[str, Decimal]
    #: The items of `cpc watch` (JSON) once the late telemetry is held back, and once reprocessed.
    watched: dict[str, list[dict]]


@pytest.fixture(scope="module")
def deliveries(tmp_path_factory: pytest.TempPathFactory) -> Deliveries:
    root = tmp_path_factory.mktemp("incremental")
    source = root / "generated"
    done = run_cpc("generate", "--customers", str(CUSTOMERS), "--days", str(DAYS), "--seed", str(SEED),
                   "--out", str(source))
    assert done.returncode == 0, done.stderr
    warehouse = root / "incremental.duckdb"
    steps: dict[str, dict[str, str]] = {}
    outputs: dict[str, Completed] = {}
    summaries: dict[str, dict] = {}
    recorded: dict[str, int] = {}
    held_back_quantity: dict[str, Decimal] = {}

    def build(step: str, input_dir: Path, *options: str) -> None:
        outputs[step] = build_ok(input_dir, warehouse, *options)
        steps[step] = _allocated(warehouse)
        summaries[step] = _summary(warehouse)
        recorded[step] = _recorded_versions(warehouse)

    for through in (LAST_DAY - timedelta(days=1), LAST_DAY):
        build(f"through {through}", deliver_through(source, root / "delivered", through))
    build("same files again", root / "delivered")
    before_restatement = root / "before_restatement.duckdb"
    shutil.copyfile(warehouse, before_restatement)

    restated = deliver_through(source, root / "restated", LAST_DAY)
    second_day = (FIRST_DAY + timedelta(days=1)).isoformat()

    def restate_a_line(header, rows):
        start, cost = header.index("ChargePeriodStart"), header.index("EffectiveCost")
        currency, end = header.index("BillingCurrency"), header.index("ChargePeriodEnd")
        line = next(row for row in rows if row[start].startswith(second_day) and row[end].startswith(second_day)
                    and row[currency] == "USD" and Decimal(row[cost]) > 0)
        line[cost] = str(Decimal(line[cost]) + Decimal("7.25"))
        # A line of QUARANTINE_DAY that cannot be read arrives (appended, so no other line moves).
        unreadable = list(next(row for row in rows if row[start].startswith(QUARANTINE_DAY.isoformat())))
        unreadable[cost] = "n/a"
        return [*rows, unreadable]

    def late_telemetry(header, rows):
        first = next(row for row in rows if row[header.index("usage_date")] == FIRST_DAY.isoformat())
        late = list(first)
        late[header.index("quantity")] = "12.5"
        # Telemetry enriched later: a row of RELABELLED_DAY gets another feature, same quantity.
        at, feature = header.index("usage_date"), header.index("feature")
        relabelled = next(row for row in rows if row[at] == RELABELLED_DAY.isoformat() and row[feature])
        relabelled[feature] = "relabelled"
        return [*rows, late]

    def move_segment(header, rows):
        at = header.index("segment")
        rows[0][at] = "enterprise" if rows[0][at] != "enterprise" else "smb"
        return rows

    rewrite_csv(next((restated / "billing").glob("*.csv*")), restate_a_line)
    rewrite_csv(next((restated / "usage").glob("*.csv*")), late_telemetry)
    rewrite_csv(restated / "customers.csv", move_segment)
    build("restated", restated)
    after_restatement = root / "after_restatement.duckdb"
    shutil.copyfile(warehouse, after_restatement)

    # A policy change brought forward: the even split of platform overhead ends, and its weighted
    # successor starts, on RULE_CHANGE_DAY instead of the generated rules' later date.
    rules = restated / "allocation.yml"
    text = rules.read_text()
    planned = set(re.findall(r"effective_(?:from|to): (\d{4}-\d{2}-\d{2})", text))
    assert len(planned) == 1 and date.fromisoformat(min(planned)) > RULE_CHANGE_DAY, planned
    rules.write_text(text.replace(min(planned), RULE_CHANGE_DAY.isoformat()))
    build("rule change", restated)

    # Late telemetry with a 2-day lookback window: for the fifth day (inside it: allocated) and for
    # the second day (outside: held back and reported), then picked up with --reprocess-from.
    with rules.open("a") as handle:
        handle.write(f"incremental: {{lookback_days: {LOOKBACK_DAYS}}}\n")

    def late_rows(header, rows):
        at, quantity = header.index("usage_date"), header.index("quantity")
        late = []
        for day, amount in ((LATE_DAY, "40"), (LAST_DAY - timedelta(days=1), "30")):
            row = list(next(row for row in rows if row[at] == day.isoformat()))
            row[quantity] = amount
            late.append(row)
        return [*rows, *late]

    rewrite_csv(next((restated / "usage").glob("*.csv*")), late_rows)
    held_back_quantity["before"] = _driver_quantity(warehouse, LATE_DAY)
    watched: dict[str, list[dict]] = {}

    def watch(step: str) -> None:
        done = run_cpc("watch", "--warehouse", str(warehouse), "--format", "json")
        assert done.returncode in (0, 1), done.stderr
        watched[step] = json.loads(done.stdout)["items"]

    build("late telemetry", restated)
    held_back_quantity["held back"] = _driver_quantity(warehouse, LATE_DAY)
    watch("late telemetry")
    build("reprocessed", restated, "--reprocess-from", LATE_DAY.isoformat())
    held_back_quantity["reprocessed"] = _driver_quantity(warehouse, LATE_DAY)
    watch("reprocessed")

    full = root / "full.duckdb"
    shutil.copyfile(warehouse, full)
    outputs["full refresh"] = build_ok(restated, full, "--full-refresh")
    steps["full refresh"] = _allocated(full)
    recorded["full refresh"] = _recorded_versions(full)
    return Deliveries(steps, outputs, summaries, warehouse, before_restatement, after_restatement, full, restated,
                      recorded, date.fromisoformat(min(planned)), held_back_quantity, watched)


def test_the_first_build_allocates_every_day(deliveries: Deliveries) -> None:
    first = deliveries.steps[f"through {LAST_DAY - timedelta(days=1)}"]
    assert set(first.values()) == {"full build"}
    # The month's recurring charges already cover the days not yet delivered.
    assert len(first) == DAYS


def test_a_month_redelivered_with_one_more_day_allocates_that_day(deliveries: Deliveries) -> None:
    assert deliveries.steps[f"through {LAST_DAY}"] == {LAST_DAY.isoformat(): "charges changed"}
    line = f"allocated 1 of {DAYS} days (charges changed 1)"
    assert line in deliveries.outputs[f"through {LAST_DAY}"].stdout
    assert deliveries.summaries[f"through {LAST_DAY}"]["allocated_days"] == {"charges changed": 1}
    # The month's files that grew are read again, each only from its first new record (the
    # delivery before is the start of each); the rest keep their rows.
    landed = deliveries.summaries[f"through {LAST_DAY}"]["landed_files"]
    assert landed["appended"] == landed["read"] >= 2 and landed["kept"] >= 1, landed


def test_the_same_files_again_allocate_nothing(deliveries: Deliveries) -> None:
    assert deliveries.steps["same files again"] == {}
    assert f"allocated 0 of {DAYS} days: no input changed" in deliveries.outputs["same files again"].stdout
    # No file is read again: each keeps its rows from the last landing.
    landed = deliveries.summaries["same files again"]["landed_files"]
    assert landed["read"] == 0 and landed["kept"] > 5
    assert f"kept {landed['kept']} unchanged file(s) from the last landing" in deliveries.outputs["same files again"].stdout


def test_a_restatement_allocates_the_days_it_touches(deliveries: Deliveries) -> None:
    allocated = deliveries.steps["restated"]
    assert allocated.pop(FIRST_DAY.isoformat()) == "usage changed"
    assert allocated.pop((FIRST_DAY + timedelta(days=1)).isoformat()) == "charges changed"
    # A quarantined line is that day's unattributed cost: its day is allocated again.
    assert allocated.pop(QUARANTINE_DAY.isoformat()) == "quarantine changed"
    # Its drivers are unchanged, but its cost by feature moves: the day is allocated again.
    assert allocated.pop(RELABELLED_DAY.isoformat()) == "usage changed"
    # The customer who moved segment changes the recipients of segment-weighted rules, on the
    # days those rules are in effect, and nothing else.
    assert set(allocated.values()) <= {"recipients changed"}


def test_a_rule_change_allocates_the_days_from_its_effective_date(deliveries: Deliveries) -> None:
    planned = deliveries.planned_rule_change
    # Exactly the days whose rule moved: from the new date up to the old one.
    moved = [(RULE_CHANGE_DAY + timedelta(days=n)).isoformat() for n in range((planned - RULE_CHANGE_DAY).days)]
    assert moved and planned <= LAST_DAY
    assert deliveries.steps["rule change"] == dict.fromkeys(moved, "rules changed")
    assert deliveries.summaries["rule change"]["allocated_days"] == {"rules changed": len(moved)}
    # Every row says which rules were in effect on its day: one fingerprint before the change and
    # one from it on, whichever build allocated the day.
    placed = query(deliveries.incremental,
                   "select rule_name, min(cost_date), max(cost_date), count(distinct rules_hash)"
                   " from marts.customer_costs_daily where rule_name like 'platform-overhead%' group by 1")
    assert {name: (str(first), str(last), hashes) for name, first, last, hashes in placed} == {
        "platform-overhead": (FIRST_DAY.isoformat(), FIRST_DAY.isoformat(), 1),
        "platform-overhead-weighted": (RULE_CHANGE_DAY.isoformat(), LAST_DAY.isoformat(), 1),
    }
    stretches = dict(query(deliveries.incremental,
                           f"select cost_date >= date '{RULE_CHANGE_DAY}', count(distinct rules_hash)"
                           " from marts.customer_costs_daily group by 1"))
    assert stretches == {False: 1, True: 1}


def test_late_telemetry_inside_the_window_is_allocated_and_outside_it_reported(deliveries: Deliveries) -> None:
    inside = (LAST_DAY - timedelta(days=1)).isoformat()
    assert deliveries.steps["late telemetry"] == {inside: "usage changed"}
    summary = deliveries.summaries["late telemetry"]
    assert summary["held_back_days"] == [LATE_DAY.isoformat()]
    command = f"--reprocess-from {LATE_DAY}"
    assert any(command in line and f"more than {LOOKBACK_DAYS} day(s)" in line for line in summary["warnings"])
    assert "warning: telemetry changed on 1 day(s)" in deliveries.outputs["late telemetry"].stdout
    assert command in deliveries.outputs["late telemetry"].stdout
    # The held-back day keeps the allocation it had until --reprocess-from picks it up.
    quantity = deliveries.held_back_quantity
    assert quantity["held back"] == quantity["before"]
    assert quantity["reprocessed"] > quantity["before"]
    # The daily digest lists the held-back day as a ticket until it is reprocessed.
    held = [item for item in deliveries.watched["late telemetry"] if item["kind"] == "held back"]
    assert [(item["level"], item["subject"]) for item in held] == [("ticket", LATE_DAY.isoformat())], held
    assert held[0]["detail"].endswith(command)
    assert [item for item in deliveries.watched["reprocessed"] if item["kind"] == "held back"] == []


def test_reprocess_from_allocates_every_day_from_its_date(deliveries: Deliveries) -> None:
    later = {(LATE_DAY + timedelta(days=n)).isoformat(): f"reprocess from {LATE_DAY}"
             for n in range(1, (LAST_DAY - LATE_DAY).days + 1)}
    assert deliveries.steps["reprocessed"] == {LATE_DAY.isoformat(): "usage changed", **later}
    assert deliveries.summaries["reprocessed"]["held_back_days"] == []


def test_incremental_builds_equal_a_full_build_of_the_final_input(deliveries: Deliveries) -> None:
    assert set(deliveries.steps["full refresh"].values()) == {"full refresh"}
    assert f"allocated {DAYS} of {DAYS} days (full refresh {DAYS})" in deliveries.outputs["full refresh"].stdout
    assert compare(deliveries.full, deliveries.incremental) == []
    # The surcharges, kept by charge, equal those derived whole (but for a Kubernetes split line's
    # floating-point measures, which no charge-day reads).
    split_measures = ("kubernetes_share", "kubernetes_cpu_cost_ratio", "kubernetes_cpu_core_hours",
                      "kubernetes_memory_gib_hours")
    assert rows_only_in_one(deliveries.full, deliveries.incremental, "intermediate.int_surcharges",
                            exclude=split_measures) == (0, 0)
    assert query(deliveries.full, "select count(*) from intermediate.int_surcharges")[0][0] > 0
    # The days' fingerprints equal those of the full build. Their telemetry part adds up counts and
    # hash sums kept per file and read: the incremental warehouse read the records appended to the
    # telemetry file by the late telemetry as a read of their own, the full build read it whole.
    assert rows_only_in_one(deliveries.full, deliveries.incremental, "intermediate.int_days_fingerprinted") == (0, 0)
    reads = ("select count(distinct read_after_row) from intermediate.int_usage_customer_days_summed"
             " where source_file like 'usage/%'")
    assert query(deliveries.incremental, reads) == [(2,)] and query(deliveries.full, reads) == [(1,)]
    # ...and the restated line reached the marts: the second day holds 7.25 more than before.
    day_total = (
        "select sum(cost) from (select allocated_cost as cost from marts.customer_costs_daily where cost_date = ?"
        " union all select unattributed_cost from marts.unattributed_costs_daily where cost_date = ?) as day_rows"
    )
    second_day = FIRST_DAY + timedelta(days=1)
    before = Decimal(str(query(deliveries.before_restatement, day_total.replace("?", f"'{second_day}'"))[0][0]))
    after = Decimal(str(query(deliveries.after_restatement, day_total.replace("?", f"'{second_day}'"))[0][0]))
    assert after - before == Decimal("7.25")


def _copies_of_the_last_delivery(deliveries: Deliveries, tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the incremental warehouse and of the last delivery it built (a test changes them
    and builds again); returns (warehouse, input folder)."""
    warehouse = tmp_path / deliveries.incremental.name
    shutil.copyfile(deliveries.incremental, warehouse)
    input_dir = tmp_path / "input"
    shutil.copytree(deliveries.restated_input, input_dir)  # copies keep the files' times
    return warehouse, input_dir


def _delivered_a_day_later(path: Path) -> None:
    """The file's modification time (its delivery time) moved a day on, as a new delivery's."""
    later = path.stat().st_mtime + 86_400
    os.utime(path, (later, later))


def test_reconciliation_settings_judge_and_sum_every_kept_day_again(deliveries: Deliveries, tmp_path: Path) -> None:
    """The quantities telemetry_bill_reconciliation compares are kept day by day; a new tolerance
    judges every kept day at the next build without allocating any, and new units (which decide
    what is summed) allocate every day again."""
    warehouse, input_dir = _copies_of_the_last_delivery(deliveries, tmp_path)
    rules = input_dir / "allocation.yml"
    rows = ("select cost_date, rule_name, service_name, metric, driver_level, driver_value, reconciliation_status,"
            " drift_tolerance, telemetry_to_billed_ratio, billed_unit from marts.telemetry_bill_reconciliation")
    before = query(warehouse, rows)
    assert "  tolerance: 0.1\n" in rules.read_text() and {row[7] for row in before} == {0.1}

    rules.write_text(rules.read_text().replace("  tolerance: 0.1\n", "  tolerance: 0.0001\n"))
    judged = build_ok(input_dir, warehouse, "--quiet")
    assert f"allocated 0 of {DAYS} days: no input changed" in judged.stdout
    after = query(warehouse, rows)
    assert sorted(row[:6] for row in after) == sorted(row[:6] for row in before)
    assert {row[7] for row in after} == {0.0001}
    compared = [row for row in after if row[8] is not None]
    assert compared and all(row[6] == ("drift" if abs(row[8] - 1) > 0.0001 else "within_tolerance") for row in compared)
    # Rows within 10 % but not within 0.01 % now drift, on days no input changed.
    assert sum(row[6] == "drift" for row in after) > sum(row[6] == "drift" for row in before)

    text = rules.read_text()
    assert "    egress_gb: GB\n" in text and any(row[3] == "egress_gb" and row[9] == "GB" for row in after)
    rules.write_text(text.replace("    egress_gb: GB\n", ""))
    build_ok(input_dir, warehouse, "--quiet")
    assert set(_allocated(warehouse).values()) == {"settings changed"} and len(_allocated(warehouse)) == DAYS
    egress = [row for row in query(warehouse, rows) if row[3] == "egress_gb"]
    assert egress and {(row[6], row[9]) for row in egress} == {("no_unit_mapping", None)}


def _failing_rows(warehouse: Path, check_file: str, breaking: list[str], tmp_path: Path) -> list[tuple]:
    """Run a row check as the warehouse's last build compiled it (the compiled file named
    `check_file`), on a copy changed by the `breaking` statements; returns its failing rows, sorted."""
    compiled = dbt_paths(warehouse, "duckdb")[0] / "compiled"
    (check,) = compiled.rglob(check_file)
    # Named as a build's working file: the compiled SQL names its database (cpc.publish).
    broken = tmp_path / warehouse.stem / publish.WORKING_NAME
    broken.parent.mkdir(parents=True)
    shutil.copyfile(warehouse, broken)
    with duckdb.connect(str(broken)) as con:
        for statement in breaking:
            con.execute(statement)
        return sorted(con.execute(check.read_text()).fetchall())


def _failing_days(warehouse: Path, check_file: str, table: str, breaking: str, days: tuple[date, ...],
                  tmp_path: Path) -> list[tuple[str, str]]:
    """_failing_rows with the first row of `table` broken (`breaking`, a SET clause) on each of
    `days`; returns (failed checks, day) of each failing row."""
    statements = [f"update {table} set {breaking} where rowid = (select min(rowid) from {table} where cost_date = '{day}')"
                  for day in days]
    return sorted((row[0], str(row[1])) for row in _failing_rows(warehouse, check_file, statements, tmp_path))


def _repeated_keys(warehouse: Path, check_file: str, table: str, where: str, tmp_path: Path) -> list[tuple]:
    """_failing_rows with the rows of `table` that `where` selects inserted again: the keys the check
    reports repeated."""
    failing = _failing_rows(warehouse, check_file, [f"insert into {table} select * from {table} where {where}"], tmp_path)
    assert all(row[0].endswith("repeated") for row in failing), failing
    return [tuple(row[1:-1]) for row in failing]


def test_the_ledger_row_checks_read_the_days_the_build_allocated(deliveries: Deliveries, tmp_path: Path) -> None:
    """customer_costs_daily's row checks (valid_rows with changed_days) read the rows of the days
    the build allocated, and rows without a day: those of the days it kept were checked by the
    build that wrote them. Run here as the last builds compiled them, on copies with one row broken
    on the first day (kept by the last incremental build) and one on the last (allocated)."""
    every_day = [(FIRST_DAY + timedelta(days=n)).isoformat() for n in range(DAYS)]
    for warehouse, read in ((deliveries.incremental, every_day[1:]), (deliveries.full, every_day)):
        assert sorted(_allocated(warehouse)) == read
        failing = _failing_days(warehouse, "valid_rows_customer_costs_dail*.sql", "marts.customer_costs_daily",
                                "rule_name = null", (FIRST_DAY, LAST_DAY), tmp_path)
        assert failing == [("rule_name is null", day.isoformat()) for day in (FIRST_DAY, LAST_DAY)
                           if day.isoformat() in read]


def test_the_drivers_and_charge_days_are_checked_for_the_days_allocated(deliveries: Deliveries, tmp_path: Path) -> None:
    """int_usage_drivers_daily and int_charges_prorated are kept day by day: a build sums or
    prorates again the days it allocates, and their row checks (valid_rows with changed_days) read
    those days. The usage fingerprint reads the telemetry rows, so the late telemetry the last build
    picked up moved its day. Run as the last builds compiled them, on copies with a row broken on
    the first day and on the late one. A reference is checked on those rows too (the incremental
    build reads of the referenced charges only those the checked rows name)."""
    allocated = _allocated(deliveries.incremental)
    assert LATE_DAY.isoformat() in allocated and FIRST_DAY.isoformat() not in allocated
    for warehouse in (deliveries.incremental, deliveries.full):
        for case, (check, table, breaking, failed) in enumerate([
            ("valid_rows_int_usage_drivers_d*.sql", "intermediate.int_usage_drivers_daily", "quantity = -1",
             "quantity negative"),
            ("valid_rows_int_charges_prorate*.sql", "intermediate.int_charges_prorated", "source_currency = null",
             "source_currency is null"),
            ("valid_rows_int_charges_prorate*.sql", "intermediate.int_charges_prorated",
             "charge_id = 'no such charge', surcharge_name = null", "charge_id not in int_charges_allocatable.charge_id"),
        ]):
            (tmp_path / str(case)).mkdir(exist_ok=True)
            failing = _failing_days(warehouse, check, table, breaking, (FIRST_DAY, LATE_DAY), tmp_path / str(case))
            assert failing == [(failed, day.isoformat()) for day in (FIRST_DAY, LATE_DAY)
                               if day.isoformat() in _allocated(warehouse)], (table, failing)


def test_the_billing_union_keeps_the_files_whose_version_is_unchanged(deliveries: Deliveries, tmp_path: Path) -> None:
    """int_charges_unioned keeps the rows it parsed from a file whose landed version is unchanged.
    Seen by changing a landed row of the billing file behind the build's back: a build of the same
    files keeps the union's row as it was parsed before, and so does a build after the file is
    delivered again unchanged (touched), whose rows then carry the new delivery time (in
    int_charges_deduplicated too, which keeps its rows of the file as well). Neither
    allocates a day (a delivery time is not fingerprinted), so the charge-days of every day are
    kept as they were: a charge-day changed behind the builds' back stays changed."""
    warehouse, input_dir = _copies_of_the_last_delivery(deliveries, tmp_path)
    (billing,) = (path.relative_to(input_dir).as_posix() for path in (input_dir / "billing").glob("*.csv*"))
    union = "select charge_description, cast(delivered_at as varchar) from intermediate.int_charges_unioned" \
            f" where source_file = '{billing}' and source_row = 1"
    staged = f"select distinct cast(delivered_at as varchar) from staging.stg_focus__charges where source_file = '{billing}'"
    [parsed] = query(warehouse, union)
    [(charge_id,)] = query(warehouse, "select min(charge_id) from intermediate.int_charges_prorated")
    charge_days = f"select cost_date, service_name from intermediate.int_charges_prorated where charge_id = '{charge_id}'"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("update cpc_raw.billing set charge_description = 'changed behind the build' "
                    "where _source_file = ? and _source_row = 1", [billing])
        con.execute("update intermediate.int_charges_prorated set service_name = 'changed behind the build' "
                    "where charge_id = ?", [charge_id])
    kept_charge_days = query(warehouse, charge_days)
    again = build_ok(input_dir, warehouse, "--quiet")
    assert f"allocated 0 of {DAYS} days: no input changed" in again.stdout
    assert query(warehouse, union) == [parsed]

    path = input_dir / billing
    _delivered_a_day_later(path)
    touched = build_ok(input_dir, warehouse, "--quiet")
    assert f"allocated 0 of {DAYS} days: no input changed" in touched.stdout
    assert query(warehouse, charge_days) == kept_charge_days
    assert {name for _, name in kept_charge_days} == {"changed behind the build"}
    [(description, delivered_at)] = query(warehouse, union)
    assert description == parsed[0] != "changed behind the build"
    assert [(delivered_at,)] == query(warehouse, staged) and delivered_at != parsed[1]
    for model in ("int_charges_unioned", "int_charges_deduplicated"):
        assert query(warehouse, f"select distinct cast(delivered_at as varchar) from intermediate.{model}"
                                f" where source_file = '{billing}'") == [(delivered_at,)], model


def test_the_billing_union_reads_only_the_records_appended_to_a_file(deliveries: Deliveries, tmp_path: Path) -> None:
    """A billing file re-delivered with a bill line appended: the landing reads only that line, and
    int_charges_unioned keeps the rows it parsed of the file's earlier records (seen by changing
    one of them behind the build's back: it stays changed) and parses only the new one;
    int_charges_deduplicated likewise keeps the rows it made of them (the change does not reach
    it) and flags only the new one. The file's rows then carry its new delivery time in both, and
    only the day of the new line is allocated. The data tests of the staging views and of the union
    (valid_rows changed_files) check the rows the build read."""
    warehouse, input_dir = _copies_of_the_last_delivery(deliveries, tmp_path)
    (path,) = (input_dir / "billing").glob("*.csv*")
    billing = path.relative_to(input_dir).as_posix()
    [(rows,)] = query(warehouse, f"select count(*) from intermediate.int_charges_unioned where source_file = '{billing}'")
    [(first_day,)] = query(warehouse, "select cast(cast(charge_period_start_at as date) as varchar)"
                                      f" from intermediate.int_charges_unioned where source_file = '{billing}' and source_row = 1")
    with duckdb.connect(str(warehouse)) as con:
        con.execute("update intermediate.int_charges_unioned set charge_description = 'changed behind the build'"
                    " where source_file = ? and source_row = 1", [billing])

    def append_a_line(header, lines):
        start, cost = header.index("ChargePeriodStart"), header.index("EffectiveCost")
        added = list(next(line for line in lines if line[start].startswith(LAST_DAY.isoformat())))
        added[cost] = "2.50"
        return [*lines, added]

    rewrite_csv(path, append_a_line)
    _delivered_a_day_later(path)
    build_ok(input_dir, warehouse, "--quiet")
    assert _summary(warehouse)["landed_files"]["appended"] == 1
    # The new line's day only: the row changed behind the build's back is kept as deduplication
    # made it, and the day fingerprints read the deduplicated rows.
    assert _allocated(warehouse) == {LAST_DAY.isoformat(): "charges changed"}
    assert first_day != LAST_DAY.isoformat()
    union = f"select source_row, charge_description, cast(delivered_at as varchar) from intermediate.int_charges_unioned" \
            f" where source_file = '{billing}'"
    parsed = {row: (description, delivered_at) for row, description, delivered_at in query(warehouse, union)}
    assert sorted(parsed) == list(range(1, rows + 2))
    assert parsed[1][0] == "changed behind the build"
    staged = f"select source_row, charge_description, cast(delivered_at as varchar) from staging.stg_focus__charges" \
             f" where source_file = '{billing}' and source_row = {rows + 1}"
    [(_, description, delivered_at)] = query(warehouse, staged)
    assert parsed[rows + 1] == (description, delivered_at)
    assert {delivered for _, delivered in parsed.values()} == {delivered_at}
    deduplicated = {row: (description, delivered, reason) for row, description, delivered, reason in query(
        warehouse, "select source_row, charge_description, cast(delivered_at as varchar), superseded_reason"
                   f" from intermediate.int_charges_deduplicated where source_file = '{billing}'")}
    assert sorted(deduplicated) == list(range(1, rows + 2))
    assert deduplicated[1][0] != "changed behind the build"
    assert deduplicated[rows + 1] == (description, delivered_at, None)
    assert {delivered for _, delivered, _ in deduplicated.values()} == {delivered_at}

    # The row checks of the staging views and of the union read what the build read: the appended
    # line, not the file's earlier records (the build that read them checked them), and no
    # telemetry (no file of it changed). Seen by landing those records again, or inserting the
    # union's rows again: a check reports a repeated key only where it reads.
    lines = f"_source_file = '{billing}' and _source_row in (1, {rows + 1})"
    checks = tmp_path / "checks"
    assert _repeated_keys(warehouse, "valid_rows_stg_focus__charges_*.sql", "cpc_raw.billing", lines,
                          checks / "staged") == [(billing, rows + 1)]
    assert _repeated_keys(warehouse, "valid_rows_int_charges_unioned_*.sql", "intermediate.int_charges_unioned",
                          lines.replace("_source", "source"), checks / "union") == [(f"{billing}:{rows + 1}",)]
    assert _repeated_keys(warehouse, "valid_rows_stg_telemetry__usag*.sql", "cpc_raw.usage", "_source_row = 1",
                          checks / "usage") == []
    # A full refresh checks every file.
    usage_keys = _repeated_keys(deliveries.full, "valid_rows_stg_telemetry__usag*.sql", "cpc_raw.usage",
                                "_source_row = 1", checks / "full")
    assert usage_keys and all(row == 1 for _, row in usage_keys)


def test_quarantined_telemetry_is_kept_by_file_and_read_from_the_records_appended(
        deliveries: Deliveries, tmp_path: Path) -> None:
    """quarantined_rows lists telemetry records from int_usage_rows_quarantined, kept file by file:
    each read of a telemetry file has a row of its own, so a file without a quarantined record is
    kept too. A telemetry file re-delivered with an unreadable record appended: the build parses
    only that record, lists it, and leaves the file's earlier records as they were parsed (one
    made unreadable behind the build's back is not listed)."""
    warehouse, input_dir = _copies_of_the_last_delivery(deliveries, tmp_path)
    (path,) = (input_dir / "usage").glob("*.csv*")
    usage = path.relative_to(input_dir).as_posix()
    reads = f"select read_after_row from intermediate.int_usage_rows_quarantined where source_row is null" \
            f" and source_file = '{usage}' order by 1"
    # The late telemetry appended to the file was a read of its own; the full build read it whole.
    [(rows,)] = query(warehouse, f"select count(*) from cpc_raw.usage where _source_file = '{usage}'")
    earlier_reads = query(warehouse, reads)
    assert len(earlier_reads) == 2 and earlier_reads[0] == (0,) and query(deliveries.full, reads) == [(0,)]
    listed = "select source_row, quarantine_reason from marts.quarantined_rows where input_name = 'usage' order by 1"
    assert query(warehouse, listed) == query(deliveries.full, listed) == []
    with duckdb.connect(str(warehouse)) as con:
        con.execute("update cpc_raw.usage set quantity = 'changed behind the build'"
                    " where _source_file = ? and _source_row = 1", [usage])

    def append_unreadable(header, lines):
        added = list(lines[-1])
        added[header.index("quantity")] = "n/a"
        return [*lines, added]

    rewrite_csv(path, append_unreadable)
    _delivered_a_day_later(path)
    build_ok(input_dir, warehouse, "--quiet")
    assert _summary(warehouse)["landed_files"]["appended"] == 1
    assert query(warehouse, reads) == [*earlier_reads, (rows,)]
    [(reason,)] = query(warehouse, f"select quarantine_reason from staging.stg_telemetry__usage"
                                   f" where source_file = '{usage}' and source_row = {rows + 1}")
    assert reason.startswith("unparseable quantity")
    assert query(warehouse, listed) == [(rows + 1, reason)]
    # The staging view, which parses every landed record now, also rejects the record changed
    # behind the build's back; the kept rows do not.
    staged = "select source_row from staging.stg_telemetry__usage where quarantine_reason is not null order by 1"
    assert query(warehouse, staged) == [(1,), (rows + 1,)]


def test_the_same_files_again_record_no_new_cost_version(deliveries: Deliveries) -> None:
    recorded = deliveries.recorded
    assert recorded[f"through {LAST_DAY - timedelta(days=1)}"] > 0
    assert recorded["same files again"] == recorded[f"through {LAST_DAY}"]
    # A --full-refresh keeps the history (the model is full_refresh=false) and, the costs being
    # equal, records nothing new.
    assert recorded["full refresh"] == recorded["reprocessed"]


def test_a_restatement_records_how_each_customer_month_moved(deliveries: Deliveries) -> None:
    before = _customer_months(deliveries.before_restatement)
    after = _customer_months(deliveries.after_restatement)
    moved = {key: after.get(key, Decimal(0)) - before.get(key, Decimal(0))
             for key in before.keys() | after.keys() if after.get(key) != before.get(key)}
    assert moved
    rows = query(deliveries.after_restatement,
                 "select month, customer_id, currency, reason, cost_before, cost_after, cost_delta, is_estimated"
                 " from marts.customer_cost_restatements"
                 " where recorded_at = (select max(recorded_at) from intermediate.int_customer_costs_recorded)")
    recorded = {(str(month), customer, currency): Decimal(str(delta))
                for month, customer, currency, _reason, _before, _after, delta, _estimated in rows}
    assert recorded == moved
    for month, customer, currency, reason, cost_before, cost_after, _delta, is_estimated in rows:
        key = (str(month), customer, currency)
        assert Decimal(str(cost_before)) == before.get(key, Decimal(0))
        assert Decimal(str(cost_after)) == after.get(key, Decimal(0))
        # January 2024 has no invoice id and no later period: still estimated.
        assert is_estimated
        assert reason == ("estimate_updated" if key in before else "new_cost")
    # The restated bill line's 7.25 is all there: what the customers' months moved by plus what
    # the unattributed lines moved by.
    unattributed = "select coalesce(sum(unattributed_cost), 0) from marts.unattributed_costs_monthly"
    unattributed_delta = (Decimal(str(query(deliveries.after_restatement, unattributed)[0][0]))
                          - Decimal(str(query(deliveries.before_restatement, unattributed)[0][0])))
    assert sum(moved.values()) + unattributed_delta == Decimal("7.25")


def test_is_estimated_follows_the_billing_periods(deliveries: Deliveries) -> None:
    estimated_months = {str(month) for (month,) in query(
        deliveries.incremental,
        "select distinct cast(date_trunc('month', billing_period_start_date) as date) from marts.billing_periods"
        " where period_status = 'estimated' and billing_format <> 'other_costs'")}
    assert estimated_months == {FIRST_DAY.isoformat()}
    for mart in ("customer_costs_monthly", "customer_statements_monthly", "customer_region_costs_monthly",
                 "customer_charge_costs_monthly", "customer_feature_costs_monthly", "customer_marginal_costs_monthly"):
        flags = query(deliveries.incremental, f"select distinct month, is_estimated from marts.{mart}")
        assert flags or mart in ("customer_feature_costs_monthly", "customer_marginal_costs_monthly"), mart
        assert all(is_estimated == (str(month) in estimated_months) for month, is_estimated in flags), (mart, flags)
    for mart, period in (("customer_costs_quarterly", "quarter"), ("customer_costs_yearly", "year")):
        assert query(deliveries.incremental, f"select distinct {period}, is_estimated from marts.{mart}") == [
            (FIRST_DAY, True)], mart
