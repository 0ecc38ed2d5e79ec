"""Terraform's built-in functions, each checked against the examples of Terraform's function reference
(developer.hashicorp.com/terraform/language/functions/NAME): one row per documented example.

Impure functions are unknown; file functions read only inside the configuration folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from generator.engine.values import UNKNOWN
from generator.terraform.tfconfig.evaluator import Scope, evaluate
from generator.terraform.tfconfig.functions import FUNCTIONS, IMPURE, REMOVED, SPECIAL, FILE_FUNCTIONS
from generator.terraform.tfconfig.modules import ModuleDefinition, ModuleInstance
from generator.terraform.tfconfig.parser import parse_tree, tree_body
from generator.terraform.tfconfig.reader import HclReader
from generator.terraform.tfconfig.values import EvalError

DATA = Path(__file__).parent / "data" / "functions"
ERROR = object()

# (expression, expected) -- expected ERROR: Terraform rejects the call; UNKNOWN: not known before apply
EXAMPLES: list[tuple[str, Any]] = [
    # numeric
    ("abs(23)", 23), ("abs(0)", 0), ("abs(-12.4)", 12.4),
    ("ceil(5)", 5), ("ceil(5.1)", 6),
    ("floor(5)", 5), ("floor(4.9)", 4),
    ("log(50, 10)", 1.6989700043360185), ("log(16, 2)", 4),
    ("max(12, 54, 3)", 54), ("max([12, 54, 3]...)", 54),
    ("min(12, 54, 3)", 3), ("min([12, 54, 3]...)", 3),
    ('parseint("100", 10)', 100), ('parseint("FF", 16)', 255), ('parseint("-10", 16)', -16),
    ('parseint("1011111011101111", 2)', 48879), ('parseint("aA", 62)', 656), ('parseint("12", 2)', ERROR),
    ("pow(3, 2)", 9), ("pow(4, 0)", 1),
    ("signum(-13)", -1), ("signum(0)", 0), ("signum(344)", 1),
    # string
    ('chomp("hello\\n")', "hello"), ('chomp("hello\\r\\n")', "hello"), ('chomp("hello\\n\\n")', "hello"),
    ('endswith("hello world", "world")', True), ('endswith("hey world", "hello")', False),
    ('format("Hello, %s!", "Ander")', "Hello, Ander!"), ('format("There are %d lights", 4)', "There are 4 lights"),
    ('format("%#v", {a = 1})', '{"a":1}'), ('format("%5.2f|%-4s|%03d|%x|%t|%q", 3.14159, "ab", 7, 255, true, "hi")',
                                           ' 3.14|ab  |007|ff|true|"hi"'),
    ('format("%v and %v", "a", 2)', "a and 2"), ('format("%%d")', "%d"), ('format("%d", "x")', ERROR),
    ('formatlist("Hello, %s!", ["Valentina", "Ander", "Olivia", "Sam"])',
     ["Hello, Valentina!", "Hello, Ander!", "Hello, Olivia!", "Hello, Sam!"]),
    ('formatlist("%s, %s!", "Salutations", ["Valentina", "Ander", "Olivia", "Sam"])',
     ["Salutations, Valentina!", "Salutations, Ander!", "Salutations, Olivia!", "Salutations, Sam!"]),
    ('indent(2, "[\\n  foo,\\n  bar,\\n]")', "[\n    foo,\n    bar,\n  ]"),
    ('join("-", ["foo", "bar", "baz"])', "foo-bar-baz"), ('join(", ", ["foo", "bar", "baz"])', "foo, bar, baz"),
    ('join(", ", ["foo"])', "foo"),
    ('lower("HELLO")', "hello"), ('lower("АЛЛО!")', "алло!"),
    ('regex("[a-z]+", "53453453.345345aaabbbccc23454")', "aaabbbccc"),
    ('regex("(\\\\d\\\\d\\\\d\\\\d)-(\\\\d\\\\d)-(\\\\d\\\\d)", "2019-02-01")', ["2019", "02", "01"]),
    ('regex("^(?:(?P<scheme>[^:/?#]+):)?(?://(?P<authority>[^/?#]*))?", "https://terraform.io/docs/")',
     {"authority": "terraform.io", "scheme": "https"}),
    ('regex("[a-z]+", "53453453.34534523454")', ERROR),
    ('regexall("[a-z]+", "1234abcd5678efgh9")', ["abcd", "efgh"]),
    ('length(regexall("[a-z]+", "1234abcd5678efgh9"))', 2), ('length(regexall("[a-z]+", "123456789")) > 0', False),
    ('replace("1 + 2 + 3", "+", "-")', "1 - 2 - 3"), ('replace("hello world", "/w.*d/", "everybody")', "hello everybody"),
    ('replace("hello world", "/(h)(e)/", "$2$1")', "ehllo world"),
    ('split(",", "foo")', ["foo"]), ('split(",", "foo,bar,baz")', ["foo", "bar", "baz"]), ('split(",", "")', [""]),
    ('startswith("hello world", "hello")', True), ('startswith("hello world", "world")', False),
    ('strcontains("hello world", "wor")', True), ('strcontains("hello world", "wod")', False),
    ('strrev("hello")', "olleh"), ('strrev("a ☃")', "☃ a"),
    ('substr("hello world", 1, 4)', "ello"), ('substr("🤔🤷", 0, 1)', "🤔"), ('substr("hello world", -5, -1)', "world"),
    ('substr("hello world", 6, 10)', "world"),
    ('title("hello world")', "Hello World"),
    ('trim("?!hello?!", "!?")', "hello"), ('trim("foobar", "far")', "oob"),
    ('trim("   hello! world.!  ", "! ")', "hello! world."),
    ('trimprefix("helloworld", "hello")', "world"), ('trimprefix("helloworld", "cat")', "helloworld"),
    ('trimsuffix("helloworld", "world")', "hello"), ('trimspace("  hello\\n\\n")', "hello"),
    ('upper("hello")', "HELLO"), ('upper("алло!")', "АЛЛО!"),
    ('templatestring("Hello, $${name}!", { name = "Jodie" })', "Hello, Jodie!"),
    # collection
    ('alltrue(["true", true])', True), ("alltrue([true, false])", False), ("alltrue([])", True),
    ('anytrue(["true"])', True), ("anytrue([true, false])", True), ("anytrue([])", False),
    ('chunklist(["a", "b", "c", "d", "e"], 2)', [["a", "b"], ["c", "d"], ["e"]]),
    ('chunklist(["a", "b", "c", "d", "e"], 1)', [["a"], ["b"], ["c"], ["d"], ["e"]]),
    ('coalesce("a", "b")', "a"), ('coalesce("", "b")', "b"), ("coalesce(1, 2)", 1), ('coalesce(["", "b"]...)', "b"),
    ('coalescelist(["a", "b"], ["c", "d"])', ["a", "b"]), ('coalescelist([], ["c", "d"])', ["c", "d"]),
    ('coalescelist([[], ["c", "d"]]...)', ["c", "d"]),
    ('compact(["a", "", "b", null, "c"])', ["a", "b", "c"]),
    ('concat(["a", ""], ["b", "c"])', ["a", "", "b", "c"]),
    ('contains(["a", "b", "c"], "a")', True), ('contains(["a", "b", "c"], "d")', False),
    ('distinct(["a", "b", "a", "c", "d", "b"])', ["a", "b", "c", "d"]),
    ('element(["a", "b", "c"], 1)', "b"), ('element(["a", "b", "c"], 3)', "a"),
    ('element(["a", "b", "c"], length(["a", "b", "c"])-1)', "c"),
    ('flatten([["a", "b"], [], ["c"]])', ["a", "b", "c"]), ('flatten([[["a", "b"], []], ["c"]])', ["a", "b", "c"]),
    ('index(["a", "b", "c"], "b")', 1), ('index(["a"], "z")', ERROR),
    ("keys({a=1, c=2, d=3})", ["a", "c", "d"]),
    ("length([])", 0), ('length(["a", "b"])', 2), ('length({"a" = "b"})', 1), ('length("hello")', 5),
    ('length("👾🕹️")', 2),
    ('lookup({a="ay", b="bee"}, "a", "what?")', "ay"), ('lookup({a="ay", b="bee"}, "c", "what?")', "what?"),
    ('matchkeys(["i-123", "i-abc", "i-def"], ["us-west", "us-east", "us-east"], ["us-east"])', ["i-abc", "i-def"]),
    ('merge({a="b", c="d"}, {e="f", c="z"})', {"a": "b", "c": "z", "e": "f"}),
    ('merge({a="b"}, {a=[1,2], c="z"}, {d=3})', {"a": [1, 2], "c": "z", "d": 3}),
    ("one([])", None), ('one(["hello"])', "hello"), ('one(["hello", "goodbye"])', ERROR),
    ("one(toset([]))", None), ('one(toset(["hello"]))', "hello"),
    ("range(3)", [0, 1, 2]), ("range(1, 4)", [1, 2, 3]), ("range(1, 8, 2)", [1, 3, 5, 7]),
    ("range(1, 4, 0.5)", [1, 1.5, 2, 2.5, 3, 3.5]), ("range(4, 1)", [4, 3, 2]), ("range(10, 5, -2)", [10, 8, 6]),
    ("reverse([1, 2, 3])", [3, 2, 1]),
    ('setintersection(["a", "b"], ["b", "c"], ["b", "d"])', ["b"]),
    ('setproduct(["development", "staging", "production"], ["app1", "app2"])',
     [["development", "app1"], ["development", "app2"], ["staging", "app1"], ["staging", "app2"],
      ["production", "app1"], ["production", "app2"]]),
    ('setsubtract(["a", "b", "c"], ["a", "c"])', ["b"]),
    ('setunion(["a", "b"], ["b", "c"], ["d"])', ["a", "b", "c", "d"]),
    ('slice(["a", "b", "c", "d"], 1, 3)', ["b", "c"]),
    ('sort(["e", "d", "a", "x"])', ["a", "d", "e", "x"]),
    ("sum([10, 13, 6, 4.5])", 33.5),
    ('transpose({"a" = ["1", "2"], "b" = ["2", "3"]})', {"1": ["a"], "2": ["a", "b"], "3": ["b"]}),
    ("values({a=3, c=2, d=1})", [3, 2, 1]),
    ('zipmap(["a", "b"], [1, 2])', {"a": 1, "b": 2}),
    # encoding
    ('base64decode("SGVsbG8gV29ybGQ=")', "Hello World"), ('base64encode("Hello World")', "SGVsbG8gV29ybGQ="),
    ('csvdecode("a,b,c\\n1,2,3\\n4,5,6")', [{"a": "1", "b": "2", "c": "3"}, {"a": "4", "b": "5", "c": "6"}]),
    ('jsondecode("{\\"hello\\": \\"world\\"}")', {"hello": "world"}), ('jsondecode("true")', True),
    ('jsonencode({"hello"="world"})', '{"hello":"world"}'),
    ('jsonencode({b = 1.0, a = ["<x>"]})', '{"a":["\\u003cx\\u003e"],"b":1}'),
    ('textencodebase64("Hello World", "UTF-16LE")', "SABlAGwAbABvACAAVwBvAHIAbABkAA=="),
    ('textdecodebase64("SABlAGwAbABvACAAVwBvAHIAbABkAA==", "UTF-16LE")', "Hello World"),
    ('urlencode("Hello World!")', "Hello+World%21"), ('urlencode("☃")', "%E2%98%83"),
    ('urlencode("foo:bar@localhost?foo=bar&bar=baz")', "foo%3Abar%40localhost%3Ffoo%3Dbar%26bar%3Dbaz"),
    ('yamldecode("hello: world")', {"hello": "world"}), ('yamldecode("true")', True),
    ('yamldecode("{a: &foo [1, 2, 3], b: *foo}")', {"a": [1, 2, 3], "b": [1, 2, 3]}),
    ('yamldecode("{a: !not-supported foo}")', ERROR),
    ('yamlencode({"a":"b", "c":"d"})', '"a": "b"\n"c": "d"\n'),
    ('yamlencode({"foo":[1, 2, 3], "bar": "baz"})', '"bar": "baz"\n"foo":\n- 1\n- 2\n- 3\n'),
    ('yamlencode({"foo":[1, {"a":"b","c":"d"}, 3], "bar": "baz"})',
     '"bar": "baz"\n"foo":\n- 1\n- "a": "b"\n  "c": "d"\n- 3\n'),
    # filesystem (relative to the configuration folder, Terraform's working directory)
    ('basename("foo/bar/baz.txt")', "baz.txt"), ('dirname("foo/bar/baz.txt")', "foo/bar"),
    ('file("${path.module}/files/hello.txt")', "Hello World"),
    ('fileexists("${path.module}/files/hello.txt")', True), ('fileexists("files/nope.txt")', False),
    ('fileset(path.module, "files/*.txt")', ["files/hello.txt", "files/world.txt"]),
    ('fileset(path.module, "files/{hello,world}.txt")', ["files/hello.txt", "files/world.txt"]),
    ('fileset("${path.module}/files", "*")', ["hello.txt", "world.txt"]),
    ('fileset("${path.module}/files", "**")', ["hello.txt", "sub/deep.txt", "world.txt"]),
    ('filebase64("${path.module}/files/hello.txt")', "SGVsbG8gV29ybGQ="),
    ('templatefile("${path.module}/backends.tftpl", { port = 8080, ip_addrs = ["10.0.0.1", "10.0.0.2"] })',
     "backend 10.0.0.1:8080\nbackend 10.0.0.2:8080\n"),
    ('templatefile("greeting.tftpl", { name = "Ander" })', "Hello, Ander!"),
    ('file("files/nope.txt")', ERROR),
    ('startswith(abspath("files/hello.txt"), "/") && endswith(abspath("files/hello.txt"), "/functions/files/hello.txt")',
     True),
    ('filesha512("files/hello.txt")', "2c74fd17edafd80e8447b0d46741ee243b7eb74dd2149a0ab1b9246fb30382f2"
                                      "7e853d8585719e0e67cbda0daa8f51671064615d645ae27acb15bfb1447f459b"),
    ('filebase64sha512("files/hello.txt")',
     "LHT9F+2v2A6ER7DUZ0HuJDt+t03SFJoKsbkkb7MDgvJ+hT2FhXGeDmfL2g2qj1FnEGRhXWRa4nrLFb+xRH9Fmw=="),
    ('filemd5("files/hello.txt")', "b10a8db164e0754105b7a99be72e3fe5"),
    ('filesha1("files/hello.txt")', "0a4d55a8d778e5022fab701977c5d840bbc486d0"),
    ('filesha256("files/hello.txt")', "a591a6d40bf420404a011733cfb7b190d62c65bf0bcda32b57b277d9ad9f146e"),
    ('filebase64sha256("files/hello.txt")', "pZGm1Av0IEBKARczz7exkNYsZb8LzaMrV7J32a2fFG4="),
    # date and time
    ('formatdate("DD MMM YYYY hh:mm ZZZ", "2018-01-02T23:12:01Z")', "02 Jan 2018 23:12 UTC"),
    ('formatdate("EEEE, DD-MMM-YY hh:mm:ss ZZZ", "2018-01-02T23:12:01Z")', "Tuesday, 02-Jan-18 23:12:01 UTC"),
    ('formatdate("EEE, DD MMM YYYY hh:mm:ss ZZZ", "2018-01-02T23:12:01-08:00")', "Tue, 02 Jan 2018 23:12:01 -0800"),
    ('formatdate("MMM DD, YYYY", "2018-01-02T23:12:01Z")', "Jan 02, 2018"),
    ('formatdate("HH:mmaa", "2018-01-02T23:12:01Z")', "11:12pm"),
    ('formatdate("h\'h\'mm", "2018-01-02T23:12:01-08:00")', "23h12"),
    ('timeadd("2017-11-22T00:00:00Z", "10m")', "2017-11-22T00:10:00Z"),
    ('timeadd("2017-11-22T00:00:00Z", "-1h30m")', "2017-11-21T22:30:00Z"),
    ('timecmp("2017-11-22T00:00:00Z", "2017-11-22T00:00:00Z")', 0),
    ('timecmp("2017-11-22T00:00:00Z", "2017-11-22T01:00:00Z")', -1),
    ('timecmp("2017-11-22T01:00:00Z", "2017-11-22T00:59:00-01:00")', -1),
    # hash and crypto
    ('base64sha256("hello world")', "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek="),
    ('base64sha512("hello world")',
     "MJ7MSJwS1utMxA9QyQLytNDtd+5RGnx6m808qG1M2G+YndNbxf9JlnDaNCVbRbDP2DDoH2Bdz33FVC6TrpzXbw=="),
    ('md5("hello world")', "5eb63bbbe01eeed093cb22bb8f5acdc3"),
    ('sha1("hello world")', "2aae6c35c94fcfb415dbe95f408b9ce91ee846ed"),
    ('sha256("hello world")', "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"),
    ('sha512("hello world")', "309ecc489c12d6eb4cc40f50c902f2b4d0ed77ee511a7c7a9bcd3ca86d4cd86f"
                              "989dd35bc5ff499670da34255b45b0cfd830e81f605dcf7dc5542e93ae9cd76f"),
    ('uuidv5("dns", "www.terraform.io")', "a5008fae-b28c-5ba5-96cd-82b4c53552d6"),
    ('uuidv5("url", "https://www.terraform.io/")', "9db6f67c-dd95-5ea0-aa5b-e70e5c5f7cf5"),
    ('uuidv5("oid", "1.3.6.1.4")', "af9d40a5-7a36-5c07-b23a-851cd99fbfa5"),
    ('uuidv5("x500", "CN=Example,C=GB")', "84e09961-4aa4-57f8-95b7-03edb1073253"),
    ('uuidv5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "www.terraform.io")', "a5008fae-b28c-5ba5-96cd-82b4c53552d6"),
    # IP network
    ('cidrhost("10.12.112.0/20", 16)', "10.12.112.16"), ('cidrhost("10.12.112.0/20", 268)', "10.12.113.12"),
    ('cidrhost("fd00:fd12:3456:7890:00a2::/72", 34)', "fd00:fd12:3456:7890::22"),
    ('cidrnetmask("172.16.0.0/12")', "255.240.0.0"),
    ('cidrsubnet("172.16.0.0/12", 4, 2)', "172.18.0.0/16"), ('cidrsubnet("10.1.2.0/24", 4, 15)', "10.1.2.240/28"),
    ('cidrsubnet("fd00:fd12:3456:7890::/56", 16, 162)', "fd00:fd12:3456:7800:a200::/72"),
    ('cidrsubnets("10.1.0.0/16", 4, 4, 8, 4)', ["10.1.0.0/20", "10.1.16.0/20", "10.1.32.0/24", "10.1.48.0/20"]),
    ('cidrsubnets("fd00:fd12:3456:7890::/56", 16, 16, 16, 32)',
     ["fd00:fd12:3456:7800::/72", "fd00:fd12:3456:7800:100::/72", "fd00:fd12:3456:7800:200::/72",
      "fd00:fd12:3456:7800:300::/88"]),
    # type conversion
    ('can(regex("^ami-", "ami-123"))', True), ('can(regex("^ami-", "img-123"))', False),
    ('try(jsondecode("{"), "fallback")', "fallback"),
    ('nonsensitive(sensitive("x"))', "x"), ('sensitive(1)', 1), ('ephemeralasnull("y")', "y"),
    ("tobool(true)", True), ('tobool("true")', True), ("tobool(null)", None), ('tobool("no")', ERROR), ("tobool(1)", ERROR),
    ('tolist(["a", "b", "c"])', ["a", "b", "c"]), ('tolist(["a", "b", 3])', ["a", "b", "3"]),
    ('tomap({"a" = 1, "b" = 2})', {"a": 1, "b": 2}), ('tomap({"a" = "foo", "b" = true})', {"a": "foo", "b": "true"}),
    ("tonumber(1)", 1), ('tonumber("1")', 1), ("tonumber(null)", None), ('tonumber("no")', ERROR),
    ('toset(["a", "b", "c"])', ["a", "b", "c"]), ('toset(["a", "b", 3])', ["3", "a", "b"]),
    ('toset(["c", "b", "b"])', ["b", "c"]),
    ('tostring("hello")', "hello"), ("tostring(1)", "1"), ("tostring(true)", "true"), ("tostring(null)", None),
    ("tostring([])", ERROR),
    # impure: decided at apply or by the machine running Terraform
    ("timestamp()", UNKNOWN), ("plantimestamp()", UNKNOWN), ("uuid()", UNKNOWN), ('bcrypt("hello world")', UNKNOWN),
    ('pathexpand("~/.ssh/id_rsa")', UNKNOWN),
    # pure, but not reproduced offline: Go's gzip bytes, a private key, sensitivity marks, console-only type()
    ('base64gzip("test")', UNKNOWN), ('rsadecrypt("eczGaDhXDbOFRZ...", "key")', UNKNOWN),
    ('issensitive("x")', UNKNOWN), ('type("x")', UNKNOWN),
    # removed from the language
    ('list("a")', ERROR), ('map("a", "b")', ERROR),
]


def evaluate_text(expression: str, root: Path = DATA) -> Any:
    """Evaluate one HCL expression in a root module at ``root`` (as `locals { x = ... }` would)."""
    tree = parse_tree(f"x = {expression}\n", "<test>")
    expr = tree_body(tree.children[0], "<test>").attributes["x"][0]
    reader = HclReader(root)
    module = ModuleInstance(reader, ModuleDefinition(root, ""), "", {})
    return evaluate(expr, Scope(module)), reader


@pytest.mark.parametrize(("expression", "expected"), EXAMPLES, ids=[e for e, _ in EXAMPLES])
def test_documented_example(expression: str, expected: Any) -> None:
    if expected is ERROR:
        with pytest.raises(EvalError):
            evaluate_text(expression)
        return
    value, _ = evaluate_text(expression)
    if expected is UNKNOWN:
        assert value is UNKNOWN
    else:
        assert value == expected and type(value) is type(expected), (value, expected)


def test_every_function_of_the_reference_has_an_example() -> None:
    names = set(FUNCTIONS) | set(FILE_FUNCTIONS) | IMPURE | REMOVED | SPECIAL
    covered = {e.split("(", 1)[0] for e, _ in EXAMPLES} | {
        name for e, _ in EXAMPLES for name in names if f"{name}(" in e}
    assert names - covered == set(), sorted(names - covered)


def test_unknown_arguments_give_unknown_results() -> None:
    # a value known only after apply never turns into a guess (contains() over a list with an unknown)
    reader = HclReader(DATA)
    module = ModuleInstance(reader, ModuleDefinition(DATA, ""), "", {})
    module.variables = {"u": UNKNOWN}
    for text in ('contains(["a", var.u], "b")', 'upper(var.u)', 'format("%s", var.u)', 'join(",", ["a", var.u])',
                 'cidrsubnet(var.u, 4, 1)', 'templatestring("$${x}", { x = var.u })', 'sort(["b", var.u])'):
        tree = parse_tree(f"x = {text}\n", "<test>")
        assert evaluate(tree_body(tree.children[0], "<test>").attributes["x"][0], Scope(module)) is UNKNOWN, text
    tree = parse_tree('x = length(["a", var.u])\n', "<test>")
    assert evaluate(tree_body(tree.children[0], "<test>").attributes["x"][0], Scope(module)) == 2
