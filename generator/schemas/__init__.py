"""JSON Schemas shipped with clausegate (package data): report, context file, policy-test case."""
