"""clausegate: restriction clauses of AI service terms as Azure Policy, Terraform and local checks."""

__version__ = "0.1.0"
