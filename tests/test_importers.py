"""Tests of hiddenspof.importers on real and documented source files."""

from __future__ import annotations

import csv
import importlib.util
import io
from pathlib import Path

import pytest
from hiddenspof import inventory
from hiddenspof.errors import HiddenspofError
from hiddenspof.importers import ImportSourceError, build_draft, run
from hiddenspof.importers.cron import cron_hours, duration_hours
from hiddenspof.importers.refs import hosts_in

FIX = Path(__file__).parent / "fixtures" / "importers"
HOTEL = FIX / "compose" / "deathstarbench-hotelReservation.yml"
SOCIAL = FIX / "compose" / "deathstarbench-socialNetwork.yml"
BOUTIQUE = FIX / "kubernetes" / "online-boutique.yaml"
DATA_NS = FIX / "velero" / "data-namespace.yaml"
VELERO = FIX / "velero" / "velero.yaml"
CATALOG = FIX / "backstage" / "catalog-info.yaml"
CMDB = [FIX / "cmdb" / "cmdb_ci.csv", FIX / "cmdb" / "cmdb_rel_ci.csv"]
HOTEL_APPS = ["frontend", "profile", "search", "geo", "rate", "review", "attractions",
              "recommendation", "user", "reservation"]


def deps(draft) -> set[tuple[str, str]]:
    return {(c, d) for c, d, _ in draft.dependencies}


def kinds(draft) -> dict[str, str]:
    return {cid: row["kind"] for cid, row in draft.components.items()}


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


# --- compose -----------------------------------------------------------------------------

def test_compose_hotel_services_depend_on_consul_and_host():
    """Every hotel-reservation application service depends on consul and on the project host (a site)."""
    d = build_draft("compose", [str(HOTEL)])
    host = "deathstarbench-hotelReservation"
    assert kinds(d)[host] == "site"
    for svc in HOTEL_APPS:
        assert (svc, "consul") in deps(d), svc
    for cid, row in d.components.items():
        if row.get("source_type") == "compose service":
            assert (cid, host) in deps(d), cid


def test_compose_kinds_and_named_volumes():
    """Mongo and memcached images are datastores; a named volume is a datastore its service depends on."""
    d = build_draft("compose", [str(HOTEL)])
    k = kinds(d)
    assert k["mongodb-geo"] == "datastore" and k["memcached-rate"] == "datastore"
    assert k["frontend"] == "service" and k["consul"] == "service"
    vol = "deathstarbench-hotelReservation_geo"
    assert k[vol] == "datastore"
    assert ("mongodb-geo", vol) in deps(d)
    assert ("profile", "mongodb-profile") in deps(d) and ("profile", "memcached-profile") in deps(d)
    assert any("mongodb-geo" in g and "mongo" in g for g in d.guessed)


def test_compose_mapping_form_depends_on():
    """The mapping form of depends_on (with conditions) gives the same dependencies as the list form."""
    d = build_draft("compose", [str(SOCIAL)])
    assert ("social-graph-service", "social-graph-mongodb") in deps(d)
    assert ("social-graph-service", "jaeger-agent") in deps(d)


def test_compose_links_environment_and_aliases(tmp_path):
    """links, environment URLs/host:port/bare values naming a service (or its hostname) become dependencies."""
    src = tmp_path / "docker-compose.yml"
    src.write_text(
        "name: shop\n"
        "services:\n"
        "  web:\n    image: nginx\n    links: ['api:backend']\n"
        "  api:\n    image: acme/api\n    environment:\n"
        "      DATABASE_URL: postgres://u:p@pg-host:5432/app\n      CACHE: cache:6379\n"
        "      QUEUE_HOST: mq\n      EXTERNAL: https://example.com/x\n"
        "  db:\n    image: postgres:16\n    hostname: pg-host\n    volumes: ['pgdata:/var/lib/postgresql/data', './init:/docker-entrypoint-initdb.d']\n"
        "  cache:\n    image: redis:7\n"
        "  mq:\n    image: rabbitmq:3\n"
        "volumes:\n  pgdata: {}\n",
        encoding="utf-8",
    )
    d = build_draft("compose", [str(src)])
    assert {("web", "api"), ("api", "db"), ("api", "cache"), ("api", "mq")} <= deps(d)
    assert ("db", "shop_pgdata") in deps(d) and kinds(d)["shop_pgdata"] == "datastore"
    assert kinds(d)["shop"] == "site"
    assert not any(dep == "example.com" for _, dep in deps(d))
    assert any("bind-mounts" in i for i in d.ignored)


# --- kubernetes + velero -----------------------------------------------------------------

def test_kubernetes_boutique_cartservice_needs_redis():
    """Online Boutique: cartservice depends on redis-cart (a datastore); frontend on its backends; all on the control plane."""
    d = build_draft("kubernetes", [str(BOUTIQUE)])
    k = kinds(d)
    assert ("cartservice", "redis-cart") in deps(d)
    assert k["redis-cart"] == "datastore" and k["cartservice"] == "service"
    for target in ("productcatalogservice", "currencyservice", "cartservice", "checkoutservice"):
        assert ("frontend", target) in deps(d)
    assert ("loadgenerator", "frontend") in deps(d)
    assert k["kubernetes-control-plane"] == "control_plane"
    for cid, row in d.components.items():
        if row.get("source_type") == "Deployment":
            assert (cid, "kubernetes-control-plane") in deps(d)
    assert not any(dep == "shoppingassistantservice" for _, dep in deps(d))  # not in the manifests


def test_kubernetes_list_statefulset_pvc_configmap_and_qualified_ids():
    """List items are read; StatefulSets with claims are datastores; PVCs carry data_gb; clashing names get namespace.name."""
    d = build_draft("kubernetes", [str(BOUTIQUE), str(DATA_NS)])
    k = kinds(d)
    assert k["orders-db"] == "datastore"
    assert d.components["orders-db"]["data_gb"] == "32.212"  # 3 replicas x 10Gi
    assert k["uploads"] == "datastore" and d.components["uploads"]["data_gb"] == "536.871"
    assert ("orders-api", "uploads") in deps(d)
    assert ("orders-api", "orders-db") in deps(d)  # ConfigMap URL with *.svc.cluster.local
    assert "default.frontend" in d.components and "data.frontend" in d.components
    assert "frontend" not in d.components
    assert d.components["orders-db"]["namespace"] == "data"


RBAC = FIX / "kubernetes" / "rbac.yaml"


def test_kubernetes_admin_bindings_become_admin_rows(tmp_path):
    """admin over a namespace and cluster-admin over the cluster give their subjects admin rows; view gives none."""
    d = build_draft("kubernetes", [str(BOUTIQUE), str(DATA_NS), str(RBAC)])
    k = kinds(d)
    assert k["group-shop-ops"] == k["sa-argocd-argocd-deployer"] == k["user-alice@example.com"] == "credentials"
    assert "group-analysts" not in d.components  # view cannot delete anything
    admin = {(c, t) for (c, t, _), row in d.dependencies.items() if row["kind"] == "admin"}
    default = {w for w, row in d.components.items() if row.get("namespace") == "default" and row["kind"] != "credentials"}
    data = {w for w, row in d.components.items() if row.get("namespace") == "data"}
    assert default and data
    assert {w for w, t in admin if t == "group-shop-ops"} == default  # a RoleBinding covers its namespace only
    assert {w for w, t in admin if t == "sa-argocd-argocd-deployer"} == default
    assert {w for w, t in admin if t == "user-alice@example.com"} == default | data
    assert any("1 RoleBinding object" in i for i in d.ignored)  # the view binding
    # written, loaded and analysed: the admin rows are reach, not requirements
    from hiddenspof import coupling, model

    run("kubernetes", [str(BOUTIQUE), str(DATA_NS), str(RBAC)], str(tmp_path / "inv"), as_of="2026-09-30")
    m = model.build(inventory.load(tmp_path / "inv"))
    assert m.down({"user-alice@example.com"}) == {"user-alice@example.com"}
    assert coupling.credential_compromise(m, "user-alice@example.com").destroyed >= data


def test_velero_schedules_become_backups():
    """Schedules protect the workloads of their namespaces, with cron hours, ttl days, store and snapshot backups."""
    d = build_draft("kubernetes", [str(BOUTIQUE), str(DATA_NS), str(VELERO)])
    b = d.backups
    assert b["nightly.cartservice"]["protects"] == "cartservice"
    assert b["nightly.cartservice"]["schedule_hours"] == "24"
    assert b["nightly.cartservice"]["retention_days"] == "30"
    assert b["nightly.cartservice"]["method"] == "object_copy"
    assert b["hourly-data.orders-db"]["schedule_hours"] == "6" and b["hourly-data.orders-db"]["retention_days"] == "7"
    assert "hourly-data.cartservice" not in b  # only namespace data
    assert b["nightly.uploads.snapshot"]["method"] == "snapshot"
    assert "hourly-data.uploads.snapshot" not in b  # snapshotVolumes: false
    assert not any(k.startswith("paused-weekly") for k in b)
    assert any("paused" in i for i in d.ignored)
    kd = kinds(d)
    assert kd["bsl.default"] == "backup_store" and kd["vsl.aws-eu"] == "backup_store"
    assert {("bsl.default", "provider.aws"), ("bsl.default", "region.aws.eu-west-1"),
            ("bsl.default", "secret.velero.velero-aws")} <= deps(d)
    assert kd["secret.velero.velero-aws"] == "credentials" and kd["region.aws.eu-west-1"] == "region"
    assert ("nightly.cartservice", "bsl.default") in deps(d)
    assert ("nightly.uploads.snapshot", "vsl.aws-eu") in deps(d)
    assert ("nightly.cartservice", "velero") in deps(d) and kd["velero"] == "recovery_tool"


@pytest.mark.parametrize(("expr", "hours"), [
    ("0 1 * * *", 24.0), ("0 */6 * * *", 6.0), ("@daily", 24.0), ("@every 12h", 12.0),
    ("0 0 * * 0", 168.0), ("0 3 * * 1-5", 33.6), ("*/15 * * * *", 0.25),
])
def test_cron_hours(expr, hours):
    """Cron expressions give the mean hours between runs, independent of the clock."""
    assert cron_hours(expr) == pytest.approx(hours)


def test_cron_and_duration_reject_garbage():
    """Malformed cron expressions and Go durations raise ValueError with the value in the message."""
    with pytest.raises(ValueError, match="61"):
        cron_hours("61 * * * *")
    with pytest.raises(ValueError, match="fields"):
        cron_hours("0 1 * *")
    with pytest.raises(ValueError, match="30 days"):
        duration_hours("30 days")


def test_hosts_in_finds_urls_ports_and_cluster_dns():
    """hosts_in finds hosts in URLs, host:port, cluster DNS and whole values, and not in plain numbers."""
    assert hosts_in("redis-cart:6379") == ["redis-cart"]
    assert hosts_in("http://a.ns.svc.cluster.local:80/x") == ["a.ns.svc.cluster.local"]
    assert hosts_in("db") == ["db"]
    assert hosts_in("8080") == []
    assert hosts_in("db", whole_value=False) == []


# --- backstage ---------------------------------------------------------------------------

def test_backstage_catalog_relations():
    """Location targets are followed; dependsOn, dependencyOf and consumesApis resolve; owner and kinds kept."""
    d = build_draft("backstage", [str(CATALOG)])
    k = kinds(d)
    assert k == {"storefront": "service", "cart": "service", "payments-eu": "service",
                 "payments-us": "service", "carts-db": "datastore", "sessions-cache": "datastore",
                 "prod-cluster": "control_plane", "feature-flags": "other"}
    assert {("cart", "carts-db"), ("cart", "sessions-cache"), ("carts-db", "prod-cluster"),
            ("storefront", "cart"), ("storefront", "sessions-cache")} <= deps(d)
    group = {g for c, dep, g in d.dependencies if c == "storefront" and dep.startswith("payments")}
    assert group == {"api:default/payments-api"}
    assert d.components["cart"]["owner"] == "group:default/team-shop"
    assert d.components["storefront"]["system"] == "webshop"
    assert any("feature-flags" in g for g in d.guessed)
    assert any("shop-ui-kit" in i for i in d.ignored) and any("https://" in i for i in d.ignored)


# --- cmdb --------------------------------------------------------------------------------

def test_cmdb_classes_relationships_and_backups():
    """CMDB classes map to kinds; Depends on/Runs on/Contains/Members map to dependencies; Backed up by to a backup."""
    d = build_draft("cmdb", [str(p) for p in CMDB])
    k = kinds(d)
    assert k["orders-db"] == "datastore" and k["orders-app"] == "service" and k["DC-North"] == "site"
    assert k["ad.corp"] == "identity" and k["nbu-master"] == "recovery_tool" and k["esx-07"] == "other"
    assert k["esx-cluster-north"] == "other" and any("esx-cluster-north" in g for g in d.guessed)
    assert {("order-portal", "orders-app"), ("orders-app", "orders-db"), ("orders-app", "lnx-app-01"),
            ("esx-07", "DC-North"), ("orders-db", "san-north")} <= deps(d)  # sys_id parent/child too
    assert d.dependencies[("esx-cluster-north", "esx-07", "members")]["group"] == "members"
    assert d.backups["orders-db-backup"]["protects"] == "orders-db" and k["orders-db-backup"] == "backup"
    assert any("Sends data to" in i for i in d.ignored) and any("Owned by" in i for i in d.ignored)
    assert d.components["orders-db"]["owner"] == "DBA team"


def test_cmdb_managed_by_is_an_admin_row(tmp_path):
    """Managed by::Manages: the manager can administer the parent (an admin row), beside any plain row on the pair."""
    ci = tmp_path / "ci.csv"
    ci.write_text(CMDB[0].read_text(encoding="utf-8") + "v9,vcenter-north,cmdb_ci_vcenter,Platform,DC-North,\n",
                  encoding="utf-8")
    rel = tmp_path / "rel.csv"
    rel.write_text(CMDB[1].read_text(encoding="utf-8") + "lnx-app-01,Managed by::Manages,vcenter-north\n"
                   "lnx-db-01,Managed by::Manages,vcenter-north\nlnx-db-01,Depends on::Used by,vcenter-north\n",
                   encoding="utf-8")
    d = build_draft("cmdb", [str(ci), str(rel)])
    rows = sorted((c, t, row["kind"]) for (c, t, _), row in d.dependencies.items() if t == "vcenter-north")
    assert rows == [("lnx-app-01", "vcenter-north", "admin"), ("lnx-db-01", "vcenter-north", "admin"),
                    ("lnx-db-01", "vcenter-north", "runtime")]
    out = tmp_path / "inv"
    run("cmdb", [str(ci), str(rel)], str(out), as_of="2026-09-30")
    inv = inventory.load(out)
    assert sorted(inv.dependencies.loc[inv.dependencies["depends_on"] == "vcenter-north", "kind"]) == ["admin", "admin", "runtime"]
    run("cmdb", [str(ci), str(rel)], str(out))  # merging into it again: both rows of one pair are kept apart
    assert inventory.load(out) == inv


def test_cmdb_class_map_overrides():
    """A class-map CSV (sys_class_name, kind) among the sources overrides the built-in table."""
    d = build_draft("cmdb", [str(p) for p in CMDB] + [str(FIX / "cmdb" / "class-map.csv")])
    assert kinds(d)["san-north"] == "backup_store"
    assert not any("esx-cluster-north" in g for g in d.guessed)


def test_cmdb_bad_override_and_unknown_ci(tmp_path):
    """An unknown kind in the class map, or a relationship naming an unknown CI, names file, row and value."""
    bad = tmp_path / "map.csv"
    bad.write_text("sys_class_name,kind\ncmdb_ci_x,database\n", encoding="utf-8")
    with pytest.raises(ImportSourceError, match=r"map.csv: row 2: column 'kind': value 'database'"):
        build_draft("cmdb", [str(CMDB[0]), str(bad)])
    rel = tmp_path / "rel.csv"
    rel.write_text("parent,type,child\nghost,Depends on::Used by,orders-db\n", encoding="utf-8")
    with pytest.raises(ImportSourceError, match=r"rel.csv: row 2: column 'parent': value 'ghost'"):
        build_draft("cmdb", [str(CMDB[0]), str(rel)])


# --- malformed sources -------------------------------------------------------------------

@pytest.mark.parametrize(("fmt", "text", "message"), [
    ("compose", "services:\n  a: [unclosed\n", r"bad\.yml: document 1: line \d+, column \d+: invalid YAML"),
    ("kubernetes", "kind: Service\nmetadata: {name: a}\n---\n- just\n- a list\n",
     r"bad\.yml: document 2 \(line 4\): is a list, expected a mapping"),
    ("kubernetes", "kind: Deployment\nmetadata: {name: a}\n---\nkind: Service\nmetadata: {}\n",
     r"bad\.yml: document 2 \(line 4\): Service is missing required field 'metadata\.name'"),
    ("compose", "version: '3'\nnetworks: {}\n", r"bad\.yml: document 1 \(line 1\): missing required field 'services'"),
    ("backstage", "apiVersion: backstage.io/v1alpha1\nmetadata: {name: x}\n", r"document 1 \(line 1\): missing required field 'kind'"),
    ("kubernetes", "apiVersion: velero.io/v1\nkind: Schedule\nmetadata: {name: s}\nspec: {schedule: 'every day'}\n",
     r"bad\.yml: document 1 \(line 1\): field 'spec\.schedule'"),
])
def test_malformed_sources_name_file_and_document(tmp_path, fmt, text, message):
    """Bad YAML, a non-mapping document, a missing required field: an ImportSourceError naming file and document."""
    bad = tmp_path / "bad.yml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(ImportSourceError, match=message) as info:
        build_draft(fmt, [str(bad)])
    assert isinstance(info.value, HiddenspofError)


def test_missing_file_and_unknown_format(tmp_path):
    """A missing source file and an unknown format are clear ImportSourceErrors."""
    with pytest.raises(ImportSourceError, match="nope.yml: no such file"):
        build_draft("compose", [str(tmp_path / "nope.yml")])
    with pytest.raises(ImportSourceError, match="unknown import format 'helm'"):
        build_draft("helm", [str(HOTEL)])


# --- writing, validating, merging --------------------------------------------------------

@pytest.mark.parametrize(("fmt", "sources"), [
    ("compose", [HOTEL]),
    ("kubernetes", [BOUTIQUE, DATA_NS, VELERO]),
    ("backstage", [CATALOG]),
    ("cmdb", CMDB),
])
def test_imported_inventory_validates(tmp_path, fmt, sources):
    """Each format writes a CSV-folder inventory that inventory.load accepts without errors, plus a report."""
    out = tmp_path / "inv"
    result = run(fmt, [str(s) for s in sources], str(out), stderr=io.StringIO())
    inv = inventory.load(str(out))
    assert len(inv.components) > 5
    assert str(inv.meta.as_of) == "1970-01-01"
    report = (out / f"import-report-{fmt}.md").read_text(encoding="utf-8")
    for heading in ("## Mapped", "## Guessed", "## Ignored", "as_of is a placeholder"):
        assert heading in report
    assert Path(result.report_path) == out / f"import-report-{fmt}.md"
    ids = [r["id"] for r in read_csv(out / "components.csv")]
    assert ids == sorted(ids)


def test_as_of_given_and_bad(tmp_path):
    """An explicit as_of is written; a malformed one is a clear error."""
    run("compose", [str(HOTEL)], str(tmp_path / "a"), as_of="2026-09-30", stderr=io.StringIO())
    assert str(inventory.load(str(tmp_path / "a")).meta.as_of) == "2026-09-30"
    with pytest.raises(ImportSourceError, match="as_of '30/09/2026'"):
        run("compose", [str(HOTEL)], str(tmp_path / "b"), as_of="30/09/2026", stderr=io.StringIO())


def test_same_import_twice_is_byte_identical(tmp_path):
    """Importing the same sources twice (with --into) leaves every file byte-identical."""
    out = tmp_path / "inv"
    run("kubernetes", [str(BOUTIQUE), str(VELERO)], str(out), stderr=io.StringIO())
    first = files(out)
    run("kubernetes", [str(BOUTIQUE), str(VELERO)], str(out), into=str(out), stderr=io.StringIO())
    assert files(out) == first


def _edit(path: Path, key: str, column: str, value: str, keycol: str = "id") -> None:
    rows = read_csv(path)
    header = list(rows[0].keys())
    if column not in header:
        header.append(column)
    for row in rows:
        if row[keycol] == key:
            row[column] = value
    buf = io.StringIO()
    w = csv.DictWriter(buf, header, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def test_merge_keeps_hand_edits_and_reports_removals(tmp_path):
    """Re-import keeps analyst cells, rows and columns, and reports (not applies) rows gone from the source."""
    src = tmp_path / "docker-compose.yml"
    src.write_text("name: shop\nservices:\n  web:\n    image: nginx\n    depends_on: [db, old]\n"
                   "  db:\n    image: postgres\n  old:\n    image: acme/old\n", encoding="utf-8")
    out = tmp_path / "inv"
    run("compose", [str(src)], str(out), stderr=io.StringIO())
    comps = out / "components.csv"
    _edit(comps, "db", "rto_hours", "4")          # filled by hand
    _edit(comps, "db", "kind", "service")          # analyst overrides a guess
    _edit(comps, "web", "criticality", "gold")     # a column of the analyst's own
    with comps.open("a", encoding="utf-8") as fh:  # a row of the analyst's own
        fh.write("vault,,kms" + "," * (len(read_csv(comps)[0]) - 3) + "\n")
    (out / "backups.csv").write_text(
        (out / "backups.csv").read_text(encoding="utf-8") + "db-dump,db,dump" + "," * 11 + "\n", encoding="utf-8")
    (out / "restore_tests.csv").write_text("backup,tested_at,result\ndb-dump,2026-01-05,pass\n", encoding="utf-8")
    yaml_before = (out / "inventory.yaml").read_bytes()
    src.write_text("name: shop\nservices:\n  web:\n    image: nginx\n    depends_on: [db]\n"
                   "  db:\n    image: postgres\n", encoding="utf-8")
    err = io.StringIO()
    merged = tmp_path / "merged"
    result = run("compose", [str(src)], str(merged), into=str(out), stderr=err)
    rows = {r["id"]: r for r in read_csv(merged / "components.csv")}
    assert rows["db"]["rto_hours"] == "4" and rows["db"]["kind"] == "service"
    assert rows["web"]["criticality"] == "gold"
    assert rows["vault"]["kind"] == "kms" and "old" in rows
    assert (merged / "restore_tests.csv").read_text(encoding="utf-8").startswith("backup,tested_at")
    assert (merged / "inventory.yaml").read_bytes() == yaml_before
    dep_rows = {(r["component"], r["depends_on"]) for r in read_csv(merged / "dependencies.csv")}
    assert ("web", "old") in dep_rows
    assert "web -> old" in err.getvalue() and "components: old" in err.getvalue()
    report = (merged / "import-report-compose.md").read_text(encoding="utf-8")
    assert "`web` -> `old`" in report and "kept `service`, the source says `datastore`" in report
    assert any("db" in k and "kind" in k for k in result.kept)
    inventory.load(str(merged))
    again = files(merged)
    run("compose", [str(src)], str(merged), into=str(merged), stderr=io.StringIO())
    assert files(merged) == again


def test_merge_updates_imported_cells_the_analyst_left_alone(tmp_path):
    """A value the source changes is updated when the analyst never touched it; empty source cells erase nothing."""
    src = tmp_path / "c.yml"
    src.write_text("services:\n  a:\n    image: acme/a\n", encoding="utf-8")
    out = tmp_path / "inv"
    run("compose", [str(src)], str(out), stderr=io.StringIO())
    _edit(out / "components.csv", "a", "notes", "checked with ops")
    src.write_text("services:\n  a:\n    image: redis:7\n", encoding="utf-8")
    result = run("compose", [str(src)], str(out), stderr=io.StringIO())  # out holds an inventory: merge
    rows = {r["id"]: r for r in read_csv(out / "components.csv")}
    assert rows["a"]["kind"] == "datastore"
    assert rows["a"]["notes"] == "checked with ops"
    assert result.updated["components"] == 1 and not result.kept


def test_into_must_be_a_csv_folder(tmp_path):
    """--into something that is not a CSV-folder inventory is a clear error."""
    with pytest.raises(ImportSourceError, match="not a CSV-folder inventory"):
        run("compose", [str(HOTEL)], str(tmp_path / "o"), into=str(tmp_path), stderr=io.StringIO())


@pytest.mark.skipif(importlib.util.find_spec("hiddenspof.analysis") is None, reason="analysis module not there yet")
def test_imported_inventory_analyzes(tmp_path):
    """An imported Kubernetes + Velero inventory runs through analysis; the control plane is a common cause."""
    from hiddenspof import analysis

    out = tmp_path / "inv"
    run("kubernetes", [str(BOUTIQUE), str(DATA_NS), str(VELERO)], str(out), stderr=io.StringIO())
    result = analysis.analyze(inventory.load(str(out)))
    assets = {a["id"]: a for a in result["assets"]}
    assert "kubernetes-control-plane" in assets["cartservice"]["common_cause"]


def test_cli_import_exit_codes(tmp_path, capsys):
    """`hiddenspof import` writes the folder (exit 0) and exits 1 with a message on an unreadable source."""
    from hiddenspof import cli

    assert cli.main(["import", "compose", str(HOTEL), "--out", str(tmp_path / "o")]) == 0
    assert (tmp_path / "o" / "components.csv").exists()
    bad = tmp_path / "bad.yml"
    bad.write_text("services: [\n", encoding="utf-8")
    assert cli.main(["import", "compose", str(bad), "--out", str(tmp_path / "p")]) == 1
    assert "bad.yml: document 1" in capsys.readouterr().err


def test_fixture_copies_match_shared_originals():
    """The real fixtures are unmodified copies of the shared originals (license notes apply)."""
    shared = Path("/work/shared/fixtures")
    if not shared.exists():
        pytest.skip("shared fixtures not mounted")
    for mine, theirs in ((HOTEL, "compose/deathstarbench-hotelReservation.yml"),
                         (SOCIAL, "compose/deathstarbench-socialNetwork.yml"),
                         (BOUTIQUE, "kubernetes/online-boutique.yaml")):
        assert mine.read_bytes() == (shared / theirs).read_bytes()


NOTEBOOK = Path(__file__).parent.parent / "notebooks" / "00_import.ipynb"


def test_import_notebook_parameters_and_no_outputs():
    """00_import has one parameters cell with typed, documented parameters and is stored without outputs."""
    import nbformat
    import papermill

    params = papermill.inspect_notebook(str(NOTEBOOK))
    assert {"fmt", "sources", "out_dir", "into", "as_of"} <= set(params)
    assert all(p["inferred_type_name"] == "str" and p["help"] for p in params.values())
    nb = nbformat.read(str(NOTEBOOK), as_version=4)
    assert sum("parameters" in c.metadata.get("tags", []) for c in nb.cells) == 1
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


@pytest.mark.slow
def test_import_notebook_runs_on_a_compose_fixture(tmp_path):
    """00_import executes on the hotel-reservation compose file and writes a valid inventory."""
    import papermill

    out = tmp_path / "inv"
    papermill.execute_notebook(
        str(NOTEBOOK), str(tmp_path / "out.ipynb"), cwd=str(NOTEBOOK.parent), progress_bar=False,
        parameters={"fmt": "compose", "sources": str(HOTEL), "out_dir": str(out)},
    )
    assert "consul" in {r["id"] for r in read_csv(out / "components.csv")}
