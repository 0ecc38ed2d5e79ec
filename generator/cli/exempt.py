"""``clausegate exempt``: suppress a finding the way Azure does, with an exemption that has a reason and an end."""

from __future__ import annotations

import click


@click.command("exempt")
@click.option("--clause", "clause", required=True, metavar="ID", help="Clause id the exemption covers (e.g. us-police).")
@click.option("--scope", "scope", required=True, metavar="SCOPE",
              help="ARM id exempted: management group, subscription, resource group or resource.")
@click.option("--category", type=click.Choice(["Waiver", "Mitigated"]), required=True,
              help="Waiver (accepted as is) or Mitigated (handled another way).")
@click.option("--expires", metavar="DATE", help="When it ends: YYYY-MM-DD (end of day, UTC) or an ISO 8601 time. Required.")
@click.option("--reason", metavar="TEXT", help="Why the finding is accepted. Required.")
@click.option("--name", metavar="NAME", help="Exemption name (default: <clause>-<last scope segment>).")
@click.option("--pack", metavar="NAME|PATH", help="Clause pack (default: the shipped pack).")
@click.option("--assignment-scope", "assignment_scope", metavar="SCOPE",
              help="Where the pack's assignment is (default: the subscription of --scope, or --scope itself).")
@click.option("--out", "out_dir", default=".clausegate/exemptions", show_default=True, metavar="DIR",
              help="Folder for NAME.json (Azure Policy exemption, for publish and check) and NAME.tf.")
def command(clause: str, scope: str, category: str, expires: str | None, reason: str | None, name: str | None,
            pack: str | None, assignment_scope: str | None, out_dir: str) -> None:
    """Write an Azure Policy exemption (JSON for 'publish --exemption', honoured by check, eval and scan with
    --exemption) and the same exemption for the Terraform assignment module. Reason and expiry are required."""
    from generator.exempt import ExemptRequest, write_exemption

    result = write_exemption(ExemptRequest(clause=clause, scope=scope, category=category, expires=expires,
                                           reason=reason, name=name, pack=pack, assignment_scope=assignment_scope,
                                           out_dir=out_dir))
    props = result.exemption["properties"]
    click.echo(f"exemption {result.exemption['name']}: {category} for clause {clause} at {scope} until "
               f"{props['expiresOn']} (assignment {props['policyAssignmentId']})")
    click.echo(f"wrote {result.json_path} (publish --exemption, check --exemption) and {result.tf_path} (Terraform)")
