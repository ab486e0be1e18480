"""`cpc dashboard` on the shared generated build: the pages it writes, their figures against the
marts (computed here from the daily ledger and the monthly marts), and every page opened in
headless Chromium offline: no console error, no request leaving the page, every chart drawn."""

from __future__ import annotations

import itertools
import re
import shutil
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest
from conftest import BuiltInput, Completed, one_line_error, query, run_cpc
from headless import Browser, find_chromium, inked_share

#: A chart counts as drawn when this share of its screenshot differs from the background.
INKED = 0.01
#: A page's figure may differ from the mart's by half a cent (it is rounded to cents).
CENT = Decimal("0.005")


class Page(HTMLParser):
    """The tables (by id: rows of cell texts), key figures (by id) and links of a page."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.kpis: dict[str, str] = {}
        self.links: list[str] = []
        self._table: str | None = None
        self._cell: list[str] | None = None
        self._kpi: str | None = None
        self._in_value = False
        self._in_body = False
        self.feed(path.read_text(encoding="utf-8"))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "table":
            self._table = attributes["id"]
            self.tables[self._table or ""] = []
        elif tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._table and self._in_body:
            self.tables[self._table].append([])
        elif tag == "td" and self._table:
            self._cell = []
        elif tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"] or "")
        elif tag == "div" and (attributes.get("id") or "").startswith("kpi-"):
            self._kpi = (attributes["id"] or "")[4:]
        elif tag == "div" and self._kpi and attributes.get("class") == "value":
            self._in_value = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None and self._table:
            self.tables[self._table][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._table, self._in_body = None, False
        elif tag == "div" and self._in_value:
            self._in_value, self._kpi = False, None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._in_value and self._kpi:
            self.kpis[self._kpi] = self.kpis.get(self._kpi, "") + data


def amount(text: str) -> Decimal:
    """'-1,234.50' or '+3.00' -> Decimal."""
    return Decimal(text.replace(",", "").replace("+", ""))


def close(page_text: str, mart_value: object) -> bool:
    return abs(amount(page_text) - Decimal(str(mart_value))) <= CENT


@pytest.fixture(scope="module")
def site(generated_build: BuiltInput, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Completed, str]:
    """The dashboard of the shared build: top 3 customers and one more asked for by id."""
    extra = query(generated_build.warehouse,
                  "select customer_id from marts.customer_costs_monthly group by customer_id "
                  "order by sum(total_cost) asc, customer_id limit 1")[0][0]
    out = tmp_path_factory.mktemp("dashboard") / "site"
    done = run_cpc("dashboard", "--warehouse", str(generated_build.warehouse), "--out", str(out),
                   "--top", "3", "--customer", extra)
    assert done.returncode == 0, done.stdout + done.stderr
    return out, done, extra


def daily_costs(warehouse: Path) -> dict[str, dict[date, Decimal]]:
    """customer -> day -> cost, from the ledger mart."""
    costs: dict[str, dict[date, Decimal]] = defaultdict(dict)
    for customer_id, day, cost in query(
        warehouse, "select customer_id, cost_date, sum(allocated_cost) from marts.customer_costs_daily "
                   "group by all"):
        costs[customer_id][day] = cost
    return costs


def movers(costs: dict[str, dict[date, Decimal]], last: date, days: int) -> list[tuple[str, Decimal]]:
    """(customer, change) of the 10 largest changes between the last ``days`` days and the days
    before, largest first."""
    changes = []
    for customer_id, by_day in costs.items():
        now = sum((cost for day, cost in by_day.items() if 0 <= (last - day).days < days), Decimal(0))
        before = sum((cost for day, cost in by_day.items() if days <= (last - day).days < 2 * days),
                     Decimal(0))
        if any((last - day).days < 2 * days for day in by_day):
            changes.append((customer_id, now - before))
    changes.sort(key=lambda item: (-abs(item[1]), item[0]))
    return changes[:10]


def test_it_writes_every_page_and_prints_where(site, generated_build: BuiltInput) -> None:
    out, done, extra = site
    assert done.stdout.strip().splitlines()[-1] == f"Dashboard: {out / 'index.html'}"
    top = [row[0] for row in query(
        generated_build.warehouse, "select customer_id from marts.customer_costs_monthly "
        "group by customer_id order by sum(total_cost) desc, customer_id limit 3")]
    written = sorted(path.name for path in (out / "customers").glob("*.html"))
    assert written == sorted(f"{customer_id}.html" for customer_id in [*top, extra])
    for name in ("index.html", "executive.html", "on-call.html"):
        assert (out / name).is_file(), name
    # Every link between the pages leads to a page that was written.
    for path in [out / "index.html", out / "executive.html", out / "on-call.html",
                 *(out / "customers").glob("*.html")]:
        for link in Page(path).links:
            assert (path.parent / link).resolve().is_file(), (path.name, link)
    index = Page(out / "index.html")
    assert sorted(row[0] for row in index.tables["customers-table"]) == sorted([*top, extra])


def test_the_executive_figures_are_the_marts(site, generated_build: BuiltInput) -> None:
    out, _, _ = site
    warehouse = generated_build.warehouse
    page = Page(out / "executive.html")
    html = (out / "executive.html").read_text(encoding="utf-8")
    (days,) = query(warehouse, "select count(*) from (select cost_date from marts.customer_costs_daily "
                               "union select cost_date from marts.unattributed_costs_daily "
                               "where cost_date is not null)")[0]
    # 30-, 90- and 365-day views as far as the data reaches, and all its days (40 here).
    views = [f"{window} days" for window in (30, 90, 365) if window < days] + [f"all {days} days"]
    assert re.findall(r'<div class="views" id="total-views">(.*?)<div', html)[0].count("<button") == len(views)
    assert re.findall(r'data-view="total-views-\d+"[^>]*>([^<]+)</button>', html) == views
    allocated, unattributed = query(
        warehouse, "select (select sum(allocated_cost) from marts.customer_costs_daily), "
                   "(select sum(unattributed_cost) from marts.unattributed_costs_daily)")[0]
    assert close(page.kpis["total"], allocated + unattributed)
    assert close(page.kpis["allocated"], allocated)
    assert page.kpis["unattributed-share"] == f"{unattributed / (allocated + unattributed) * 100:.1f} %"

    last_day, cost, customers = query(
        warehouse, "select cost_date, sum(allocated_cost), count(distinct customer_id) "
                   "from marts.customer_costs_daily group by cost_date order by cost_date desc limit 1")[0]
    assert close(page.kpis["last-day-per-customer"], cost / customers)

    segments = query(warehouse, "select strftime(month, '%Y-%m'), segment, count(*), sum(total_cost), "
                                "sum(revenue) from marts.customer_costs_monthly group by all")
    shown = {(row[0], row[1]): row for row in page.tables["segments-table"]}
    assert len(shown) == len(segments)
    for month, segment, count, total, revenue in segments:
        row = shown[(month, segment)]
        assert int(row[2].replace(",", "")) == count
        assert close(row[3], total) and close(row[4], revenue)
        assert close(row[6], revenue - total), (month, segment, row)

    expected = movers(daily_costs(warehouse), last_day, 7)
    table = page.tables["week-over-week-table"]
    assert [row[0] for row in table] == [customer_id for customer_id, _ in expected]
    assert all(close(row[5], change) for row, (_, change) in zip(table, expected, strict=True))

    reasons = query(warehouse, "select strftime(month, '%Y-%m'), reason, unattributed_cost "
                               "from marts.unattributed_costs_monthly where month is not null")
    shown_reasons = {(row[0], row[1]): row[2] for row in page.tables["unattributed-table"]}
    assert len(shown_reasons) == len(reasons)
    assert all(close(shown_reasons[(month, reason)], cost) for month, reason, cost in reasons)
    for month, share in query(warehouse, "select distinct strftime(month, '%Y-%m'), "
                                         "month_unattributed_share from marts.unattributed_costs_monthly "
                                         "where month is not null"):
        row = next(row for row in page.tables["unattributed-months-table"] if row[0] == month)
        assert row[1] == f"{share * 100:.1f} %"
        assert row[2] == ("over" if share > 0.05 else "under")


def test_the_on_call_figures_are_the_marts(site, generated_build: BuiltInput) -> None:
    out, _, _ = site
    warehouse = generated_build.warehouse
    page = Page(out / "on-call.html")
    costs = daily_costs(warehouse)
    last = max(day for by_day in costs.values() for day in by_day)
    for table_id, days in (("today-table", 1), ("this-week-table", 7)):
        expected = movers(costs, last, days)
        table = page.tables[table_id]
        assert [row[0] for row in table] == [customer_id for customer_id, _ in expected], table_id
        assert all(close(row[5], change) for row, (_, change) in zip(table, expected, strict=True))

    # Spikes: the anomalies mart's latest rows (the generated input injects anomalies).
    anomalies = query(warehouse, "select cast(cost_date as varchar), customer_id, scope, severity, observed_cost,"
                                 " anomaly_id from marts.customer_cost_anomalies"
                                 " order by cost_date desc, severity, score desc, customer_id, scope limit 100")
    table = page.tables["spikes-table"]
    assert anomalies and len(table) == len(anomalies)
    assert [(row[0], row[1], row[3], row[4], row[9]) for row in table] == [
        (day, customer_id, scope, severity, anomaly_id)
        for day, customer_id, scope, severity, _, anomaly_id in anomalies]
    assert all(close(row[5], observed) for row, (_, _, _, _, observed, _) in zip(table, anomalies, strict=True))


def test_a_customer_page_shows_its_statement_and_charges(site, generated_build: BuiltInput) -> None:
    out, _, extra = site
    warehouse = generated_build.warehouse
    for path in (out / "customers").glob("*.html"):
        customer_id = path.stem
        page = Page(path)
        (total,) = query(warehouse, "select sum(total_cost) from marts.customer_costs_monthly "
                                    f"where customer_id = '{customer_id}'")[0]
        assert close(page.kpis["total"], total), customer_id
        statement = query(warehouse, "select strftime(month, '%Y-%m'), statement_cost, month_statement_total "
                                     "from marts.customer_statements_monthly "
                                     f"where customer_id = '{customer_id}' order by month")
        assert [(row[0], amount(row[2]), amount(row[4])) for row in page.tables["statement-table"]] == statement
        charges = query(warehouse, "select charge_id, customer_cost from marts.customer_charge_costs_monthly "
                                   f"where customer_id = '{customer_id}' "
                                   "order by abs(customer_cost) desc, month, charge_id limit 20")
        shown = page.tables["charges-table"]
        assert [row[1] for row in shown] == [charge_id for charge_id, _ in charges]
        assert all(close(row[9], cost) for row, (_, cost) in zip(shown, charges, strict=True))
        explained = query(warehouse, "select sum(allocated_cost) from marts.customer_cost_explanations "
                                     f"where customer_id = '{customer_id}'")[0][0]
        # The rules-and-drivers table lists the largest rows; with all of them they add up to the total.
        rows = page.tables["drivers-table"]
        if len(rows) < 25:
            assert abs(sum(amount(row[7]) for row in rows) - explained) <= CENT * len(rows)
    assert (out / "customers" / f"{extra}.html").is_file()


def test_an_unknown_customer_is_one_line_naming_it(generated_build: BuiltInput, tmp_path: Path) -> None:
    done = run_cpc("dashboard", "--warehouse", str(generated_build.warehouse),
                   "--out", str(tmp_path / "site"), "--customer", "no-such-customer")
    line = one_line_error(done)
    assert "no-such-customer" in line and "customers" in line
    assert not (tmp_path / "site").exists()


# --- in the browser ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Browser:
    executable = find_chromium()
    assert executable, ("headless Chromium is needed to check the dashboards: apt-get install "
                        "chromium (or set CPC_CHROMIUM to a Chrome or Chromium executable)")
    with Browser(executable) as opened:
        yield opened


def page_problems(browser: Browser, path: Path) -> tuple[list[str], int]:
    """What is wrong with a page in the browser (console errors, requests for anything outside
    the page, charts that draw nothing), and how many charts it has."""
    report = browser.open(path)
    problems = [f"console error: {text}" for text in report.console_errors]
    problems += [f"request: {url}" for url in report.outside_requests]
    charts = browser.evaluate("document.querySelectorAll('figure.chart').length")
    for index in range(charts):
        # A chart in a hidden view is shown by pressing its view's button, as a reader would.
        browser.evaluate(
            f"(() => {{ const view = document.querySelectorAll('figure.chart')[{index}].closest('.view');"
            " if (view) document.querySelector(`button[data-view=\"${view.id}\"]`).click(); })()")
        share = inked_share(browser.screenshot("figure.chart svg", index))
        if share < INKED:
            problems.append(f"chart {index} draws nothing ({share:.4f} of its pixels inked)")
    return problems, charts


def test_every_page_opens_offline_and_draws_its_charts(site, browser: Browser) -> None:
    out, _, _ = site
    pages = [out / "index.html", out / "executive.html", out / "on-call.html",
             *sorted((out / "customers").glob("*.html"))]
    charts_by_page = {}
    for path in pages:
        problems, charts = page_problems(browser, path)
        assert problems == [], f"{path.relative_to(out)}: {problems}"
        charts_by_page[path.relative_to(out).as_posix()] = charts
    # Executive: total and per-customer cost in each day-range view, margin by segment,
    # week-over-week, unattributed share; on-call: today, this week and spikes; debug: service,
    # category, rule, driver.
    assert charts_by_page["executive.html"] >= 2 * 2 + 3
    assert charts_by_page["on-call.html"] >= 3
    assert all(count == 4 for name, count in charts_by_page.items() if name.startswith("customers/"))


def test_the_browser_checks_catch_what_a_broken_page_does(site, browser: Browser, tmp_path: Path) -> None:
    """The checks above fail on a page that loads a script from the network, logs an error or
    draws an empty chart."""
    out, _, _ = site
    broken = tmp_path / "executive.html"
    shutil.copy(out / "executive.html", broken)
    html = broken.read_text(encoding="utf-8")
    html = html.replace("</head>", '<script src="https://cdn.example.com/plotly.min.js"></script></head>')
    html = html.replace("</body>", "<script>console.error('chart data missing')</script></body>")
    # Empty the first chart's drawing.
    html = re.sub(r'(<figure class="chart" id="chart-segment-margin">.*?<svg[^>]*>).*?(</svg>)',
                  r"\1\2", html, count=1, flags=re.DOTALL)
    broken.write_text(html, encoding="utf-8")
    problems, _ = page_problems(browser, broken)
    assert "request: https://cdn.example.com/plotly.min.js" in problems, problems
    assert "console error: chart data missing" in problems, problems
    assert any(re.fullmatch(r"chart \d+ draws nothing .*", problem) for problem in problems), problems


def test_a_warehouse_without_the_anomalies_mart_shows_the_largest_day_over_day_increases(
        generated_build: BuiltInput, tmp_path: Path) -> None:
    """A warehouse built before the anomalies mart existed: the on-call page's spikes are the 20
    largest day-over-day increases of a customer's cost in the last 30 days, a day without cost
    counting as zero. (Also: a customer page an earlier run left in the folder is removed.)"""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(generated_build.warehouse, warehouse)
    customer_id = query(warehouse, "select min(customer_id) from marts.customers")[0][0]
    with duckdb.connect(str(warehouse)) as con:
        con.execute("drop table marts.customer_cost_anomalies")
    out = tmp_path / "site"
    (out / "customers").mkdir(parents=True)
    (out / "customers" / "cust-from-an-earlier-run.html").write_text("old figures")
    done = run_cpc("dashboard", "--warehouse", str(warehouse), "--out", str(out), "--top", "0",
                   "--customer", customer_id)
    assert done.returncode == 0, done.stdout + done.stderr
    # Only the customer asked for has a page: the earlier run's page is gone.
    assert [path.name for path in (out / "customers").iterdir()] == [f"{customer_id}.html"]
    assert "spikes from largest day-over-day increases" in done.stdout
    costs = daily_costs(warehouse)
    last = max(day for by_day in costs.values() for day in by_day)
    window = [last - timedelta(days=offset) for offset in range(30, -1, -1)]
    days = sorted({day for by_day in costs.values() for day in by_day if day in window})
    increases = []
    for customer, by_day in costs.items():
        if not any(day in by_day for day in days):
            continue
        for before, day in itertools.pairwise(days):
            change = by_day.get(day, Decimal(0)) - by_day.get(before, Decimal(0))
            if change > 0:
                increases.append((change, day, customer))
    increases.sort(key=lambda item: (-item[0], -item[1].toordinal(), item[2]))
    table = Page(out / "on-call.html").tables["spikes-table"]
    assert len(table) == 20
    assert [(row[0], row[3]) for row in table] == [
        (customer, day.isoformat()) for _, day, customer in increases[:20]]
    assert all(close(row[6], change) for row, (change, _, _) in zip(table, increases, strict=False))


def test_the_dbt_exposures_name_every_mart_the_dashboards_read() -> None:
    """models/marts/_marts__exposures.yml declares the dashboards' marts (for dbt docs and
    `dbt ls --select +exposure:...`): exactly those of cli/cpc/dashboard/queries.py and the
    anomalies mart the on-call page reads."""
    import yaml
    from cpc import PROJECT_DIR, dashboard
    from cpc.dashboard import queries

    source = Path(queries.__file__).read_text(encoding="utf-8")
    queried = set(re.findall(r"marts\.([a-z_]+)", source)) | {dashboard.ANOMALIES}
    exposures = yaml.safe_load((PROJECT_DIR / "models" / "marts" / "_marts__exposures.yml").read_text())
    dashboards = [exposure for exposure in exposures["exposures"] if exposure["type"] == "dashboard"]
    declared = {re.fullmatch(r"ref\('([a-z_]+)'\)", ref).group(1)
                for exposure in dashboards for ref in exposure["depends_on"]}
    assert declared == queried
    assert {exposure["name"] for exposure in dashboards} == {
        "executive_dashboard", "on_call_dashboard", "customer_debug_dashboard"}
