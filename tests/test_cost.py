"""Cost commands: every figure recomputed here from the price table and KAITO's estimator, every output naming where
its prices come from and how old they are; the user's own price table (--prices / KAITO_PRICES) replaces the
bundled rows it lists, and a bad one is refused at FILE:LINE:COL."""

import json

import pytest

from kaito_shell.catalog.store import load_catalog
from kaito_shell.services import estimator

MODEL = "llama-3.3-70b-instruct"


def expected(model_name: str, max_len: int, hours: float) -> dict[str, tuple[int, float, float]]:
    """instance type → (nodes, $/h, $ for the duration), straight from the catalog's prices and the estimator."""
    catalog = load_catalog()
    model = catalog.model(model_name)
    found = {}
    for sku in catalog.skus:
        if not sku.gpu_model.startswith("NVIDIA") or sku.price is None:
            continue
        nodes = estimator.estimate(model, sku, max_len).nodes
        if nodes is not None:
            hourly = nodes * sku.price.on_demand_usd_per_hour
            found[sku.instance_type] = (nodes, hourly, hourly * hours)
    return found


def test_compare_is_every_fitting_size_priced_as_the_table_and_the_estimator_say(cli):
    shown = json.loads(cli("cost", "compare", "--model", MODEL, "--duration", "8h", "-o", "json").out)
    priced = {i["instance"]: (i["nodes"], i["hourlyUSD"], i["totalUSD"]) for i in shown["items"] if i["hourlyUSD"]}
    want = expected(MODEL, estimator.DEFAULT_MAX_MODEL_LEN, 8)
    assert priced.keys() == want.keys()
    for name, (nodes, hourly, total) in want.items():
        assert priced[name][0] == nodes and priced[name][1] == pytest.approx(hourly)
        assert priced[name][2] == pytest.approx(total)
    totals = [i["totalUSD"] for i in shown["items"] if i["hourlyUSD"]]
    assert totals == sorted(totals)
    cheapest = {i["cloud"]: i["instance"] for i in shown["items"] if i["cheapest"]}
    for cloud, name in cheapest.items():
        assert want[name][1] == min(h for n, (_, h, _) in want.items() if load_catalog().sku(n).cloud == cloud)


def test_compare_names_its_prices_and_their_age(cli):
    table = cli("cost", "compare", "--model", "phi-4-mini-instruct", "--clouds", "azure", "--show-instance-types")
    assert table.code == 0 and "◀ cheapest on azure" in table.out and "aws" not in table.out.split("\n", 1)[1]
    assert "azure prices: eastus, Azure eastus list price from 2024" in table.out
    assert "KAITO's node estimator" in table.out and "GPUS PER NODE" in table.out
    assert cli("cost", "compare", "--model", "phi-4-mini-instruct", "--clouds", "gcp").code == 2
    assert cli("cost", "compare").code == 2  # --model or --workspace


def test_your_price_table_replaces_the_rows_it_lists(cli, tmp_path):
    table = tmp_path / "negotiated.csv"
    table.write_text("instance_type,price_ondemand_usd_per_hr,as_of,source\n"
                     "Standard_NC24ads_A100_v4,2.00,2026-11-01,our EA contract\nno-such-size,1,,\n")
    estimate = json.loads(cli("cost", "estimate", "--model", "phi-4-mini-instruct", "--instance-type",
                              "Standard_NC24ads_A100_v4", "--duration", "10h", "--prices", str(table), "-o",
                              "json").out)
    assert estimate["ratePerNodeHourUSD"] == 2.0 and estimate["totalUSD"] == pytest.approx(20.0)
    assert estimate["priceSource"].startswith("azure your prices: 2026-11-01")
    listed = cli("cost", "prices", "--cloud", "azure", "-o", "json", extra_env={"KAITO_PRICES": str(table)})
    rows = {r["instance"]: r for r in json.loads(listed.out)["items"]}
    assert rows["Standard_NC24ads_A100_v4"]["source"] == "our EA contract"
    assert rows["Standard_NC48ads_A100_v4"]["source"].startswith("catalogs/")  # not listed: the bundled price
    assert "no-such-size" in listed.err  # said, not silently used


@pytest.mark.parametrize("text,where,what", [
    ("instance,price\nx,1\n", ":1:1", "no column instance_type or price_ondemand_usd_per_hr"),
    ("instance_type,price_ondemand_usd_per_hr\nStandard_NC24ads_A100_v4,$3\n", ":2:26", "is not a number"),
    ("instance_type,price_ondemand_usd_per_hr,price_spot_usd_per_hr_min,price_spot_usd_per_hr_max\n"
     "g5.xlarge,1,0.9,0.5\n", ":2:13", "spot min 0.9 is above spot max 0.5"),
])
def test_a_bad_price_table_is_refused_where_it_is_wrong(cli, tmp_path, text, where, what):
    table = tmp_path / "bad.csv"
    table.write_text(text)
    refused = cli("cost", "prices", "--prices", str(table))
    assert refused.code == 2 and f"bad.csv{where}" in refused.err and what in refused.err, refused.err


def test_prices_lists_every_size_with_its_source_and_date(cli):
    shown = json.loads(cli("cost", "prices", "-o", "json").out)
    catalog = load_catalog()
    assert len(shown["items"]) == len(catalog.skus)
    assert shown["unpriced"] == sum(1 for s in catalog.skus if s.price is None)
    priced = [r for r in shown["items"] if r["onDemand"] != "no price"]
    assert all(r["asOf"] != "-" and r["source"] != "-" for r in priced)


def test_a_live_workspace_is_priced_from_its_nodes(kcli):
    assert kcli("deploy", "--name", "phi4", "--model", "phi-4-mini-instruct", "--instance-type",
                "Standard_NC24ads_A100_v4", "--yes", "--wait").code == 0
    rate = load_catalog().sku("Standard_NC24ads_A100_v4").price.on_demand_usd_per_hour
    shown = kcli("cost", "--workspace", "phi4", "--duration", "8h")
    assert shown.code == 0 and f"Estimated cost: ${rate * 8:,.2f} for 1 × Standard_NC24ads_A100_v4 (8h)" in shown.out
    assert "azure eastus: Azure eastus list price from 2024" in shown.out  # where the price is from, and how old
    same = json.loads(kcli("cost", "estimate", "--workspace", "phi4", "--duration", "8h", "-o", "json").out)
    assert same["nodes"] == 1 and same["totalUSD"] == pytest.approx(rate * 8)
    assert kcli("cost", "--workspace", "nope").code == 1


def test_tuning_runs_and_breakdowns_are_recomputed(cli):
    from kaito_shell.services import tunefit

    catalog = load_catalog()
    model = catalog.model("phi-4-mini-instruct")
    need = tunefit.requirement(model)
    fitting = [s for s in catalog.skus if s.gpu_model.startswith("NVIDIA") and s.price is not None
               and s.gpu_mem_gib_total >= need]
    cheapest = min(fitting, key=lambda s: s.price.on_demand_usd_per_hour)
    tuned = json.loads(cli("cost", "estimate", "--model", "phi-4-mini-instruct", "--method", "qlora", "--duration",
                           "3h", "-o", "json").out)
    assert tuned["instanceType"] == cheapest.instance_type and tuned["method"] == "qlora"
    assert tuned["totalUSD"] == pytest.approx(cheapest.price.on_demand_usd_per_hour * 3)
    sku = catalog.sku("Standard_NC96ads_A100_v4")
    shown = cli("cost", "estimate", "--model", "llama-3.3-70b-instruct", "--instance-type", sku.instance_type,
                "--show-breakdown")
    rate = sku.price.on_demand_usd_per_hour
    assert f"${rate / sku.gpu_count:,.2f}/h ({sku.gpu_count} GPU(s) per node)" in shown.out
    assert f"${rate * 730:,.2f}/month" in shown.out
    assert cli("cost", "estimate").code == 2 and cli("cost", "estimate", "--model", "phi-4", "--workspace",
                                                     "x").code == 2


def test_optimize_finds_the_cheapest_fit_and_says_what_the_budget_buys(cli):
    want = expected(MODEL, estimator.DEFAULT_MAX_MODEL_LEN, 24)
    cheapest = min(want, key=lambda name: want[name][1])
    shown = cli("cost", "optimize", "--model", MODEL, "--budget", "100", "--duration", "24h", "-o", "json")
    data = json.loads(shown.out)
    first = data["items"][0]
    assert first["instance"] == cheapest and first["totalUSD"] == pytest.approx(want[cheapest][2])
    assert shown.code == 1  # nothing fits $100 for a day: said, with how far off
    text = cli("cost", "optimize", "--model", MODEL, "--budget", "100", "--duration", "24h").out
    assert f"${want[cheapest][2] - 100:,.2f} more than $100.00" in text
    enough = cli("cost", "optimize", "--model", "phi-4-mini-instruct", "--budget", "1000", "--duration", "24h")
    assert enough.code == 0 and "replica(s) for 1d" in enough.out


def test_the_longest_context_is_the_estimators_last_fit():
    from kaito_shell.services import fit

    catalog = load_catalog()
    model, sku = catalog.model(MODEL), catalog.sku("Standard_NC96ads_A100_v4")
    longest = fit.longest_context(model, sku, 1)
    assert estimator.estimate(model, sku, longest).nodes == 1
    assert longest == model.context_limit or estimator.estimate(model, sku, longest + 1).nodes != 1


def test_optimize_a_live_workspace_shows_what_each_cheaper_size_saves(kcli):
    assert kcli("deploy", "--name", "big", "--model", "phi-4-mini-instruct", "--instance-type",
                "Standard_NC96ads_A100_v4", "--yes", "--wait").code == 0
    shown = json.loads(kcli("cost", "optimize", "--workspace", "big", "-o", "json").out)
    now = load_catalog().sku("Standard_NC96ads_A100_v4").price.on_demand_usd_per_hour
    assert shown["current"]["hourlyUSD"] == pytest.approx(now)
    assert all(0 < i["savesUSDPerHour"] == pytest.approx(now - i["hourlyUSD"]) for i in shown["items"])
    text = kcli("cost", "optimize", "--workspace", "big").out
    assert "instanceType cannot change on a workspace" in text and "deploy --name big-2" in text


def hist_expected(days: int, owners: tuple[str, ...]) -> float:
    """The seeded nodes' cost over the last `days` UTC days, from their creation times and the catalog's prices."""
    import datetime

    from kaito_shell.sandbox.history import SEEDED

    now = datetime.datetime.now(datetime.timezone.utc)
    first = datetime.datetime.combine((now - datetime.timedelta(days=days - 1)).date(), datetime.time(),
                                      tzinfo=datetime.timezone.utc)
    total = 0.0
    for _, owner, instance, ago in SEEDED:
        if owner not in owners:
            continue
        created = now - datetime.timedelta(days=ago)
        hours = (now - max(first, created)).total_seconds() / 3600
        total += hours * load_catalog().sku(instance).price.on_demand_usd_per_hour
    return total


def test_history_without_opencost_is_an_estimate_that_says_what_it_cannot_see(kcli, sandbox):
    from kaito_shell.sandbox import history

    history.seed(sandbox)
    shown = json.loads(kcli("cost", "history", "--workspace", "llama", "--days", "30", "-o", "json").out)
    assert shown["source"].startswith("an estimate: 1 GPU node(s)") and shown["limits"]
    assert len(shown["items"]) == 30 and shown["totalUSD"] == pytest.approx(hist_expected(30, ("default/llama",)),
                                                                             rel=1e-3)
    namespace = json.loads(kcli("cost", "history", "--days", "7", "-o", "json").out)
    assert namespace["totalUSD"] == pytest.approx(hist_expected(7, ("default/chatbot", "default/llama")), rel=1e-3)
    text = kcli("cost", "history", "-n", "team-a", "--days", "5", "--show-trends")
    assert text.code == 0 and "cost per day (USD)" in text.out and "cannot see" in text.out


def test_history_reads_opencost_when_the_cluster_runs_it(kcli, sandbox):
    from kaito_shell.sandbox import history

    history.seed(sandbox)
    history.install_opencost(sandbox)
    shown = json.loads(kcli("cost", "history", "--days", "10", "-o", "json").out)
    assert shown["source"].startswith("OpenCost's allocation API (service opencost/opencost:9003)")
    assert shown["limits"] == [] and len(shown["items"]) == 10
    assert shown["totalUSD"] == pytest.approx(hist_expected(10, ("default/chatbot", "default/llama")), rel=1e-3)
    one = json.loads(kcli("cost", "history", "--workspace", "chatbot", "--days", "3", "-o", "json").out)
    assert one["totalUSD"] == pytest.approx(hist_expected(3, ("default/chatbot",)), rel=1e-3)


def test_report_marks_inferenceset_replicas_and_fans_out_over_clusters(kcli):
    assert kcli("deploy", "--name", "qwen", "--model", "qwen2.5-coder-7b-instruct", "--instance-type",
                "Standard_NC24ads_A100_v4", "--replicas", "1", "--yes", "--wait").code == 0
    rate = load_catalog().sku("Standard_NC24ads_A100_v4").price.on_demand_usd_per_hour
    report = json.loads(kcli("cost", "report", "-A", "--cluster", "sandbox", "-o", "json").out)
    replica = next(i for i in report["items"] if i["kind"] == "inferenceset/qwen replica")
    assert replica["cluster"] == "sandbox" and replica["nodes"] == 1
    assert report["totalHourlyUSD"] == pytest.approx(rate) and report["perNamespaceHourlyUSD"] == {
        "sandbox/default": pytest.approx(rate)}


def test_the_cost_commands_in_one_shell_session(tmp_path, sandbox):
    """The proposal's examples typed in the kaito shell: the same figures, each with its prices' source."""
    from conftest import make_env
    from test_shell import ENTER, typed

    from kaito_shell.sandbox import history

    history.seed(sandbox)
    lines = ["deploy --name phi4 --model phi-4-mini-instruct --instance-type Standard_NC24ads_A100_v4 --yes --wait",
             "cost --workspace phi4 --duration 8h", f"cost compare --model {MODEL} --duration 8h",
             "cost optimize --workspace phi4", "cost history --workspace llama --days 30", "cost report -A",
             "exit"]
    env = make_env(tmp_path, extra_env={"KUBECONFIG": sandbox.kubeconfig})
    typed(env, [line + ENTER for line in lines], columns=200)
    out = env.stdout.getvalue()
    rate = load_catalog().sku("Standard_NC24ads_A100_v4").price.on_demand_usd_per_hour
    assert f"Estimated cost: ${rate * 8:,.2f} for 1 × Standard_NC24ads_A100_v4 (8h)" in out
    assert "◀ cheapest on azure" in out and "azure prices: eastus" in out
    assert "instanceType cannot change on a workspace" in out
    assert "source: an estimate" in out and "it cannot see" in out
    assert out.count("Azure eastus list price from 2024") >= 4  # every output says how old its prices are


def test_spot_picks_the_cheapest_spot_rate_for_every_model(cli):
    from kaito_shell.services import fit

    catalog = load_catalog()
    for model in catalog.models:
        chosen = fit.cheapest(catalog, model, estimator.DEFAULT_MAX_MODEL_LEN, spot=True)
        if chosen is None:
            continue
        rates = [s.price.spot_usd_per_hour_max for s in catalog.skus if s.gpu_model.startswith("NVIDIA")
                 and s.price is not None and s.price.spot_usd_per_hour_max is not None
                 and estimator.estimate(model, s, estimator.DEFAULT_MAX_MODEL_LEN).nodes == 1]
        assert chosen.hourly == pytest.approx(min(rates)), model.name


def test_review_fixes_zero_prices_short_durations_boms_and_live_flags(cli, kcli, tmp_path):
    free = tmp_path / "free.csv"
    free.write_text("\ufeffinstance_type,price_ondemand_usd_per_hr\ng6.xlarge,0\n")  # a spreadsheet's BOM
    shown = cli("cost", "optimize", "--model", "phi-4-mini-instruct", "--budget", "10", "--prices", str(free))
    assert shown.code == 0 and "unlimited (this size's price is $0)" in shown.out, shown.err
    assert cli("cost", "estimate", "--model", "phi-4-mini-instruct", "--duration", "0.5s").code == 2
    refused = kcli("cost", "estimate", "--workspace", "phi4", "--spot")
    assert refused.code == 2 and "--spot price a model" in refused.err


def test_history_falls_back_to_the_estimate_when_opencost_does_not_answer(kcli, sandbox):
    from kaito_shell.sandbox import history
    from kaito_shell.sandbox.backends import Reply

    history.seed(sandbox)
    history.install_opencost(sandbox)
    sandbox.backends.register(lambda service: service["metadata"]["name"] == "opencost",
                              lambda request: Reply(503, b'{"message": "no endpoints available"}'))
    shown = json.loads(kcli("cost", "history", "--days", "3", "-o", "json").out)
    assert shown["source"].startswith("an estimate") and "answered HTTP 503" in shown["limits"][0]
    assert shown["totalUSD"] == pytest.approx(hist_expected(3, ("default/chatbot", "default/llama")), rel=1e-3)
