"""The `nightly_quality` flow: the waiting order export ingested, the report made, the artifact."""

from __future__ import annotations

from datetime import date

from marketplace import calendar
from marketplace.calendar import default_report_date
from marketplace.config import SAMPLES_DIR


def test_nightly_quality_ingests_the_order_export_then_reports(flow_env):
    inbox = flow_env / "inbox"
    (inbox / "sellers").mkdir(parents=True)
    (inbox / "orders").mkdir(parents=True)
    (inbox / "sellers" / "sellers.csv").write_bytes((SAMPLES_DIR / "sellers.csv").read_bytes())
    (inbox / "orders" / "2026-11-22.csv").write_bytes(
        (SAMPLES_DIR / "orders" / "2026-11-22.csv").read_bytes())
    (inbox / "bad").mkdir()
    (inbox / "bad" / "zz.csv").write_text("x")  # off the layout: refused, and said
    from flows.quality import nightly_quality

    summary = nightly_quality(date(2026, 11, 22))
    assert [(r["kind"], r["status"]) for r in summary["ingested"]] == [("sellers", "loaded"),
                                                                         ("orders", "loaded")]
    # the demo story (data/samples/make_orders.py): 102 Top Seller, 103 enters probation;
    # every active seller of the registry is reported (104, pending, is not)
    assert (summary["top_sellers"], summary["new_probations"]) == (1, 1)
    csv_text = (flow_env / "outbox" / "quality" / "2026-11-22" / "indicators.csv").read_text()
    rows = {line.split(",")[0]: line for line in csv_text.splitlines()[1:]}
    assert "104" not in rows and {"101", "102", "103"} <= set(rows)
    # 102 gains Top Seller on its first night; the last column says so
    assert rows["102"].endswith(",true,,active,,gained") and rows["103"].endswith(
        'probation,"active → probation : seuil de probation dépassé : note 3,58/5 < 4/5;'
        " acceptation 79,7 % < 85 %; réclamations 10,6 % > 6 % / past a probation threshold:"
        ' rating 3.58/5 < 4/5; acceptance 79.7 % < 85 %; claim 10.6 % > 6 %",')
    assert (flow_env / "outbox" / "quality" / "2026-11-22" / "sellers" / "102.xlsx").is_file()
    # ops read in the night's artifact which export it stood on
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        artifact = client.read_latest_artifacts()
    night = next(a for a in artifact if a.key == "nightly-quality")
    assert "- ingested orders inbox/orders/2026-11-22.csv: loaded, 230 of 230 rows" in night.data
    assert "- refused inbox/bad/zz.csv: " in night.data
    assert [r["key"] for r in summary["refused"]] == ["inbox/bad/zz.csv"]
    # without a date (as the schedule fires it): yesterday in Paris, computed at run time
    assert nightly_quality()["report_date"] == default_report_date(calendar.now_utc()).isoformat()
