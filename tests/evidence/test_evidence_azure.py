"""clausegate report --from-azure against the HTTPS ARM stand-in: real SDK clients, Resource Graph paging,
compliance states and exemptions served as ``policyresources`` answers; nothing patched."""

from __future__ import annotations

import re
from pathlib import Path

from armstub import ArmStub
from armstub.graph import graph_state
from click.testing import CliRunner, Result
from conftest import AS_OF, FIXTURES, EvidenceTenant, seed_evidence
from tenant_seed import sub_id

from generator.cli import cli


def report(*args: str) -> Result:
    return CliRunner().invoke(cli, ["report", *args])


def _section(html: str, anchor: str) -> str:
    start = html.index(f'<section class="clause" id="{anchor}"')
    return html[start:html.index("</section>", start)]


def _row(html: str, needle: str) -> str:
    m = re.search(r"<tr[^>]*>(?:(?!</tr>).)*" + re.escape(needle) + r"(?:(?!</tr>).)*</tr>", html, re.S)
    assert m, f"no table row with {needle!r}"
    return m.group(0)


def test_report_from_azure_shows_coverage_compliance_and_exemptions(arm_stub: ArmStub,
                                                                    tenant: EvidenceTenant) -> None:
    res = report("--from-azure", "--scope", "tenant", "--as-of", AS_OF, str(FIXTURES / "check-nested-modules.json"))
    assert res.exit_code == 0, res.stderr
    html = res.stdout
    posts = [r for r in arm_stub.arm_requests() if r.method == "POST"]
    # subscriptions, assignments+exemptions, compliance counts, non-compliant states: one page each.
    assert len(posts) == 4
    assert not arm_stub.writes() or all("ResourceGraph" in w.path for w in arm_stub.writes())
    assert f"{tenant.count + 1} subscription(s) in the tenant" in html
    # Coverage per subscription: in force (management group), DoNotEnforce, audit only, missing.
    dne = _row(html, tenant.do_not_enforce + "</span></th>")
    assert "DoNotEnforce" in dne and "aoai-le-dne" in dne
    audit = _row(html, tenant.audit_only + "</span></th>")
    assert "audit only" in audit and "enforced" in audit and "aoai-le-audit" in audit
    le0 = _row(html, sub_id(0) + "</span></th>")
    assert "in force" in le0 and "Police US" in le0
    assert "something-else" not in html and ">other<" not in html  # an unrelated assignment
    # Law-enforcement-looking subscriptions without the sector tag.
    assert "pd-metro-25" in html and "no &#39;sector&#39; tag; name &#39;pd-metro-25&#39;" in html
    # The coverage chart is drawn from the same counts, with numbers as text.
    chart = html[html.index('<svg xmlns="http://www.w3.org/2000/svg" id="chart-coverage"'):]
    chart = chart[:chart.index("</svg>")]
    assert "Police US: 5 in force" in chart and "missing" in chart
    # Compliance states from Azure, per clause, and the non-compliant resources grouped by subscription.
    police = _section(html, "clause-microsoft-aoai-law-enforcement-us-police")
    assert "2 Compliant, 3 NonCompliant" in police
    for rid in tenant.non_compliant[:2]:
        assert rid in police
    assert "evaluated 2026-11-30" in police
    # Exemptions: the one expiring within 30 days of --as-of and the expired one are marked; the
    # mobile-only one is listed only under that clause; an unrelated assignment's is absent.
    assert "<mark>" in _row(police, "ex-soon") and "EXPIRES SOON" in police and "(in 10 day(s))" in police
    assert "EXPIRED" in _row(police, "ex-gone")
    assert "no expiry" in _row(police, "ex-forever")
    assert "ex-later" not in police and "ex-unrelated" not in html
    mobile = _section(html, "clause-microsoft-aoai-law-enforcement-mobile-realtime-fr")
    assert "active" in _row(mobile, "ex-later") and "<mark>" not in _row(mobile, "ex-later")
    # Offline findings from the check file sit next to Azure's.
    assert "azurerm_cognitive_deployment.this[&#34;chat&#34;]" in police
    assert "2 exemption(s) expiring or expired" in res.stderr and "4 request(s)" in res.stderr


def test_names_from_azure_are_inert(arm_stub: ArmStub, tenant: EvidenceTenant) -> None:
    html = report("--from-azure", "--scope", "tenant", "--as-of", AS_OF).stdout
    assert "<script>" not in html and "\x1b" not in html
    assert "pd-&lt;script&gt;alert(1)&lt;/script&gt;\\x1b[31m" in html
    assert "accounts/&lt;script&gt;alert(1)&lt;/script&gt;\\x1b[31m" in html
    md = report("--from-azure", "--scope", "tenant", "--as-of", AS_OF, "--format", "markdown").stdout
    assert "<script>" not in md and "\x1b" not in md
    assert r"pd-&lt;script&gt;alert\(1\)&lt;/script&gt;\\x1b\[31m" in md
    assert "| Police US | 5 | 0 | 0 | 0 |" in md  # the coverage chart's numbers, as a table


def test_same_tenant_same_bytes(arm_stub: ArmStub, tenant: EvidenceTenant) -> None:
    a = report("--from-azure", "--scope", "tenant", "--as-of", AS_OF)
    b = report("--from-azure", "--scope", "tenant", "--as-of", AS_OF)
    assert a.exit_code == b.exit_code == 0
    assert a.stdout == b.stdout


def test_management_group_scope_reads_only_its_subscriptions(arm_stub: ArmStub, tenant: EvidenceTenant) -> None:
    res = report("--from-azure", "--scope", "le-us", "--as-of", AS_OF, "--format", "markdown")
    assert res.exit_code == 0, res.stderr
    assert "5 subscription(s) in management group le-us: 5 in force" in res.stdout
    assert "corp-1 " not in res.stdout
    queries = graph_state(arm_stub).queries
    assert all(q["managementGroups"] == ["le-us"] for q in queries if "policyassignments" not in q["query"])


def test_subscription_scope(arm_stub: ArmStub, tenant: EvidenceTenant) -> None:
    res = report("--from-azure", "--scope", f"/subscriptions/{tenant.do_not_enforce}", "--format", "markdown")
    assert res.exit_code == 0, res.stderr
    assert "1 subscription(s) in subscription" in res.stdout and "1 DoNotEnforce" in res.stdout
    # No --as-of: the day Azure was read is the report's date.
    assert re.search(r"As of \d{4}-\d{2}-\d{2}\.", res.stdout)


def test_large_tenant_is_a_few_paged_requests(arm_stub: ArmStub, azure_env: dict[str, str]) -> None:
    seeded = seed_evidence(arm_stub, 2000)
    graph_state(arm_stub).page_size = 500
    arm_stub.clear_log()
    res = report("--from-azure", "--scope", "tenant", "--as-of", AS_OF, "--format", "markdown")
    assert res.exit_code == 0, res.stderr
    posts = [r for r in arm_stub.arm_requests() if r.method == "POST"]
    # 2,001 subscriptions in pages of 500 (5), assignments (1), counts (1), non-compliant states (1).
    assert len(posts) == 8, [p.body.get("options") for p in posts]
    tokens = [p.body["options"].get("$skipToken") for p in posts if p.body["options"].get("$skipToken")]
    assert tokens == ["st500", "st1000", "st1500", "st2000"]
    assert f"{seeded.count + 1} subscription(s) in the tenant" in res.stdout
    assert "more subscription(s) not listed" in res.stdout  # long tables are capped, counts are not


def test_a_failed_page_is_reported_as_incomplete_and_exits_3(arm_stub: ArmStub, tenant: EvidenceTenant,
                                                             tmp_path: Path) -> None:
    # The fourth query (non-compliant states) is refused (not retried): the rest is still reported.
    arm_stub.inject("error", method="POST", path="ResourceGraph", skip=3, times=1, status=400)
    out = tmp_path / "r.html"
    res = report("--from-azure", "--scope", "tenant", "--as-of", AS_OF, "--output-file", str(out))
    assert res.exit_code == 3, res.stderr
    html = out.read_text(encoding="utf-8")
    assert "Incomplete:" in html and "non-compliant resources: page 1 failed" in html
    assert "incomplete: non-compliant resources" in res.stderr
    assert "ex-soon" in html  # exemptions were read before the failure


def test_refused_credentials_exit_3_with_one_line(arm_stub: ArmStub, tenant: EvidenceTenant) -> None:
    arm_stub.refuse_tokens = True
    res = report("--from-azure", "--scope", "tenant")
    assert res.exit_code == 3
    assert "Traceback" not in res.stderr and res.stderr.startswith("error: ")
    assert not res.stdout


def test_effect_override_disabling_one_clause_shows_as_disabled(arm_stub: ArmStub, tenant: EvidenceTenant) -> None:
    from armstub import policy_state
    from tenant_seed import assignment_doc

    sid = sub_id(25)  # pd-metro-25: no sector tag, looks like law enforcement by name
    policy_state(arm_stub).put_raw(assignment_doc(f"/subscriptions/{sid}", "aoai-le-override", overrides=[
        {"kind": "policyEffect", "value": "Disabled",
         "selectors": [{"kind": "policyDefinitionReferenceId", "in": ["mobile-realtime-fr"]}]}]))
    html = report("--from-azure", "--scope", "tenant", "--as-of", AS_OF).stdout
    row = _row(html, sid + "</span></th>")
    cells = re.findall(r'<span class="status [^"]+">([^<]+)</span>', row)
    assert cells == ["in force", "enforced", "disabled"], cells
    mobile = _section(html, "clause-microsoft-aoai-law-enforcement-mobile-realtime-fr")
    assert "pd-metro-25" in _row(mobile, sid)  # listed as a gap of that clause
