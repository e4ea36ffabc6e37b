"""Go's text/template semantics (teu.cli.gotemplate) and docker's --format on top of it
(teu.cli.formatting). Expected outputs are Go's and docker 20.10's."""

from __future__ import annotations

import pytest

from teu.cli import formatting as F
from teu.cli.gotemplate import ExecError, Func, ParseError, Struct, Template
from teu.cli.gotemplate.gofmt import sprintf
from teu.cli.gotemplate.values import go_float

DATA = {"Name": "web", "Labels": {"b": "2", "a": "1"}, "L": [1, 2, 3], "S": ["x", "y"],
        "N": None, "Zero": 0, "Empty": "", "F": 0.5, "Nested": {"Deep": {"Key": "v"}},
        "T": True}


def run(text: str, data=DATA, **kw) -> str:
    return Template(text, **kw).execute(data)


@pytest.mark.parametrize("text,want", [
    ("plain", "plain"),
    ("{{.Name}}", "web"),
    ("{{.Nested.Deep.Key}}", "v"),
    ("{{.Labels}}", "map[a:1 b:2]"),
    ("{{.L}} {{.S}}", "[1 2 3] [x y]"),
    ("{{.Missing}}", "<no value>"),
    ("{{.Missing.Deeper}}", "<no value>"),
    ("{{.N}}", "<nil>"),
    ("{{print .Missing}}", "<nil>"),
    ("{{.F}} {{1.5}} {{1e6}} {{0x10}} {{'a'}} {{-3}}", "0.5 1.5 1e+06 16 97 -3"),
    ("{{true}} {{false}} {{.T}}", "true false true"),
    ('{{"a\\tb"}}|{{`raw\\t`}}', "a\tb|raw\\t"),
    # comments and trim markers
    ("a {{/* a comment */}} b", "a  b"),
    ("a {{- /* trimmed */ -}} b", "ab"),
    ("x  {{- .Name -}}  \n y", "xweby"),
    ("{{-3}}", "-3"),
    # if / else if / else, with, range with else
    ("{{if .Zero}}a{{else if .Empty}}b{{else if .T}}c{{else}}d{{end}}", "c"),
    ("{{if .L}}yes{{end}}{{if .N}}no{{end}}{{if .Labels}}map{{end}}", "yesmap"),
    ("{{with .Nested.Deep}}{{.Key}}{{end}}", "v"),
    ("{{with .Missing}}x{{else}}none{{end}}", "none"),
    ("{{range .L}}<{{.}}>{{end}}", "<1><2><3>"),
    ("{{range $i, $v := .S}}{{$i}}={{$v}} {{end}}", "0=x 1=y "),
    ("{{range $k, $v := .Labels}}{{$k}}:{{$v}},{{end}}", "a:1,b:2,"),
    ("{{range $v := .Labels}}{{$v}}{{end}}", "12"),
    ("{{range .Missing}}x{{else}}empty{{end}}", "empty"),
    ("{{range .L}}{{if eq . 2}}{{continue}}{{end}}{{if eq . 3}}{{break}}{{end}}{{.}}{{end}}",
     "1"),
    # variables: declare, assign, scope, $
    ("{{$x := .Name}}{{$x}}", "web"),
    ("{{$x := 1}}{{range .L}}{{$x = .}}{{end}}{{$x}}", "3"),
    ("{{$n := 0}}{{with .Nested}}{{$n := 5}}{{end}}{{$n}}", "0"),
    ("{{range .S}}{{$.Name}}{{end}}", "webweb"),
    # pipelines and parentheses
    ('{{.Name | printf "%s!"}}', "web!"),
    ('{{printf "%s-%d" .Name 3 | printf "%q"}}', '"web-3"'),
    ("{{(index .S 1)}} {{len (index .Nested \"Deep\")}}", "y 1"),
    ("{{(index .Nested \"Deep\").Key}}", "v"),
    # builtins
    ("{{eq .Name \"web\"}} {{eq 1 2 3 1}} {{ne .Zero 0}}", "true true false"),
    ("{{lt 1 2}} {{le 2 2}} {{gt \"b\" \"a\"}} {{ge 1.5 2.5}}", "true true true false"),
    ("{{and 1 0 2}} {{and 1 2}} {{or 0 \"\" 3}} {{or 0 \"\"}} {{not .Zero}}", "0 2 3  true"),
    ("{{len .L}} {{len .Labels}} {{len .Name}}", "3 2 3"),
    # and/or stop at their answer (Go 1.18+): the erroring argument is never evaluated
    ("{{and false (index .L 9)}} {{or .Name (index .L 9)}}", "false web"),
    ('{{eq .Missing "x"}} {{eq .N .Missing}}', "false true"),
    ("{{index .Labels \"a\"}}|{{index .Labels \"zz\"}}|{{index .L 0}}", "1||1"),
    ("{{slice .S 1}} {{slice .Name 0 2}}", "[y] we"),
    ("{{print 1 2 \"a\" 3}}|{{println .Name 1}}", "1 2a3|web 1\n"),
    ('{{printf "%5s|%-4d|%05.1f|%x|%v|%t" "ab" 7 3.14159 255 .S true}}',
     "   ab|7   |003.1|ff|[x y]|true"),
    ('{{html "<a&b>"}} {{urlquery "a b&c"}} {{js "it\'s"}}', "&lt;a&amp;b&gt; a+b%26c it\\'s"),
    # define / template / block
    ('{{define "T"}}[{{.}}]{{end}}{{template "T" .Name}}{{template "T"}}', "[web][<nil>]"),
    ('{{block "B" .Name}}<{{.}}>{{end}}', "<web>"),
])
def test_go_semantics(text: str, want: str) -> None:
    assert run(text) == want


@pytest.mark.parametrize("text,message", [
    ("{{.Name", "template: :1: unclosed action"),
    ("{{nofunc .}}", 'template: :1: function "nofunc" not defined'),
    ("{{if .T}}x", "template: :1: unexpected EOF"),
    ("{{end}}", "template: :1: unexpected {{end}}"),
    ("{{else}}", "template: :1: unexpected {{else}}"),
    ("{{$y}}", 'template: :1: undefined variable "$y"'),
    ("{{$y = 1}}", 'template: :1: undefined variable "$y"'),
    ("{{}}", "template: :1: missing value for command"),
    ("{{if}}{{end}}", "template: :1: missing value for if"),
    ("{{/* open", "template: :1: unclosed comment"),
    ('{{"abc}}', "template: :1: unterminated quoted string"),
    ("{{.X | 3}}", "template: :1: non executable command in pipeline stage 2"),
    ("{{(.X}}", "template: :1: unclosed left paren"),
    ("{{.X)}}", "template: :1: unexpected right paren U+0029 ')'"),
    ("{{break}}", "template: :1: {{break}} outside {{range}}"),
    ("line1\n{{.X", "template: :2: unclosed action"),
])
def test_parse_errors_are_gos(text: str, message: str) -> None:
    with pytest.raises(ParseError) as e:
        Template(text)
    assert str(e.value) == message


CTX = Struct("*formatter.ContainerContext", {"ID": "abc", "Names": "web"},
             {"Label": Func(lambda k: {"app": "x"}.get(k, ""), ("string",))})


@pytest.mark.parametrize("text,data,message", [
    # a struct's missing field is an error; a map's missing key is not (see above)
    ("{{.ID}} {{.Foo}}", CTX, 'template: :1:10: executing "" at <.Foo>: can\'t evaluate '
     "field Foo in type *formatter.ContainerContext"),
    ("{{.Label}}", CTX, 'template: :1:2: executing "" at <.Label>: wrong number of args for '
     "Label: want 1 got 0"),
    ("{{.ID 1}}", CTX, 'template: :1:2: executing "" at <.ID>: ID has arguments but cannot '
     "be invoked as function"),
    ("{{.Name.Foo}}", DATA, 'template: :1:7: executing "" at <.Name.Foo>: can\'t evaluate '
     "field Foo in type string"),
    ("{{.Labels.a 1}}", DATA, 'template: :1:9: executing "" at <.Labels.a>: a is not a '
     "method but has arguments"),
    ("{{index .L 5}}", DATA, 'template: :1:2: executing "" at <index .L 5>: error calling '
     "index: index out of range: 5"),
    ("{{len 3}}", DATA, 'template: :1:2: executing "" at <len 3>: error calling len: len of '
     "type int"),
    ('{{eq 1 "a"}}', DATA, 'template: :1:2: executing "" at <eq 1 "a">: error calling eq: '
     "incompatible types for comparison"),
    ("{{lt true false}}", DATA, 'template: :1:2: executing "" at <lt true false>: error '
     "calling lt: invalid type for comparison"),
    ("{{printf 1}}", DATA, 'template: :1:9: executing "" at <1>: expected string; found 1'),
    ("{{.Name 1}}", DATA, 'template: :1:2: executing "" at <.Name>: Name is not a method but '
     "has arguments"),
    ("{{1 2}}", DATA, 'template: :1:2: executing "" at <1>: can\'t give argument to '
     "non-function 1"),
    ('{{template "nope"}}', DATA, 'template: :1:11: executing "" at <{{template "nope"}}>: '
     'no such template "nope"'),
    ("x\n {{.Foo}}", CTX, 'template: :2:3: executing "" at <.Foo>: can\'t evaluate field '
     "Foo in type *formatter.ContainerContext"),
])
def test_exec_errors_are_gos(text: str, data, message: str) -> None:
    with pytest.raises(ExecError) as e:
        Template(text).execute(data)
    assert str(e.value) == message


def test_missingkey_error_and_partial_output() -> None:
    with pytest.raises(ExecError, match='map has no entry for key "Foo"'):
        run("{{.Foo}}", missingkey="error")
    with pytest.raises(ExecError) as e:
        run("{{.Name}}-{{index .L 9}}")
    assert e.value.partial == "web-"


def test_struct_methods_and_json() -> None:
    assert Template('{{.Label "app"}}|{{.Label "none"}}').execute(CTX) == "x|"
    assert F.parse("{{json .}}").execute(CTX) == '{"ID":"abc","Names":"web"}'
    assert F.parse("{{json .Labels}} {{json .F}} {{json .N}}").execute(DATA) == \
        '{"a":"1","b":"2"} 0.5 null'
    assert F.parse('{{json "<&>"}}').execute(DATA) == '"<&>"'  # docker: no HTML escaping


def test_go_number_printing() -> None:
    assert [go_float(f) for f in (1e6, 123456789.0, 0.5, 100.0, 1.5e-5, -2.25)] == \
        ["1e+06", "1.23456789e+08", "0.5", "100", "1.5e-05", "-2.25"]
    assert sprintf("%d %s %q", [1, 2, "a"]) == '1 %!s(int=2) "a"'
    assert sprintf("%d %d", [1]) == "1 %!d(MISSING)"
    assert sprintf("%d", [1, "x"]) == "1%!(EXTRA string=x)"
    assert sprintf("100%%", []) == "100%"


@pytest.mark.parametrize("text,want", [
    ('{{join .S ", "}}', "x, y"),
    ('{{split "a,b,c" ","}}', "[a b c]"),
    ('{{upper .Name}} {{lower "AB"}} {{title "hello world"}}', "WEB ab Hello World"),
    ('[{{pad .Name 2 1}}] [{{pad "" 2 1}}]', "[  web ] []"),
    ('{{truncate .Name 2}} {{truncate .Name 9}}', "we web"),
    ("{{range $i, $e := split \"a b\" \" \"}}{{$i}}{{$e}}{{end}}", "0a1b"),
])
def test_docker_functions(text: str, want: str) -> None:
    assert F.parse(text).execute(DATA) == want


def test_docker_function_type_errors() -> None:
    with pytest.raises(ExecError, match="wrong type for value; expected \\[\\]string; got "
                       "string"):
        F.parse('{{join .Name ","}}').execute(DATA)
    with pytest.raises(F.FormatError, match='template parsing error: template: :1: function '
                       '"nope" not defined'):
        F.parse("{{nope}}")


def test_list_tables_and_json() -> None:
    rows = [F.context("*formatter.ContainerContext", {"ID": "a1", "Names": "web"},
                      {"app": "x"}),
            F.context("*formatter.ContainerContext", {"ID": "b22", "Names": "db"}, {})]
    headers = {"ID": "CONTAINER ID", "Names": "NAMES"}
    out = F.render("table {{.ID}}\\t{{.Names}}", "", headers, rows)
    assert out == "CONTAINER ID   NAMES\na1             web\nb22            db\n"
    assert F.render("{{.ID}}:{{.Names | upper}}", "", headers, rows) == "a1:WEB\nb22:DB\n"
    # the header row uses docker's header functions: upper returns the title unchanged
    assert F.render("table {{.Names | upper}}", "", headers, rows).split("\n")[0] == "NAMES"
    assert F.render("table {{pad .Names 2 0}}", "", headers, rows).split("\n")[:2] == \
        ["  NAMES", "  web"]  # pad applies to the header too (docker keeps it aligned)
    # .Label in a table header stops the header there (docker ignores the header's error)
    out = F.render('table {{.Names}}\\t{{.Label "app"}}', "", headers, rows)
    assert out.split("\n")[:2] == ["NAMES     ", "web       x"]
    # Go's tabwriter: widths per block of lines that have the column; no trailing strip
    assert F.tabwrite("a\tb\tc\nlong-name-here\tb\n\nx\ty\n") == \
        "a                b         c\nlong-name-here   b\n\nx         y\n"
    assert F.render("json", "", headers, rows) == \
        '{"ID":"a1","Names":"web"}\n{"ID":"b22","Names":"db"}\n'
    assert F.render(None, "table {{.ID}}", headers, []) == "CONTAINER ID\n"
    with pytest.raises(F.FormatError, match="template parsing error: template: :1:2: "
                       'executing "" at <.Nope>: can\'t evaluate field Nope in type '
                       r"\*formatter.ContainerContext"):
        F.render("{{.Nope}}", "", headers, rows)


def test_ps_validates_the_template_before_listing() -> None:
    empty = F.context("*formatter.ContainerContext", {"ID": ""}, {})
    F.validate("table {{.ID}}", empty)
    with pytest.raises(F.FormatError, match="^failed to parse template: template: :1: "
                       "unclosed action$"):
        F.validate("{{.ID", empty)
    with pytest.raises(F.FormatError, match="^failed to execute template: "):
        F.validate("{{.Nope}}", empty)


def test_inspect_typed_then_raw_fallback() -> None:
    obj = {"Id": "c1", "State": {"Status": "running", "ExitCode": 0},
           "Config": {"Labels": {"a": "1"}, "Env": ["X=1"]}}
    t = F.inspect_template
    # a missing key of a map field (Config.Labels) is docker's <no value> ...
    assert F.inspect_one(t("{{.Config.Labels.nope}}"), obj) == "<no value>"
    assert F.inspect_one(t('{{index .Config.Labels "nope"}}|'), obj) == "|"
    assert F.inspect_one(t("{{.State.Status}} {{.State.ExitCode}}"), obj) == "running 0"
    # a field docker's JSON omits when empty is still in its Go struct
    assert F.inspect_one(t("{{with .State.Health}}h{{else}}none{{end}}"), obj) == "none"
    assert F.inspect_one(t("{{json .State}}"), obj) == '{"Status":"running","ExitCode":0}'
    # ... a missing struct field is an error, reported from docker's raw-JSON retry
    with pytest.raises(F.FormatError) as e:
        F.inspect_one(t("{{.State.Nope}}"), obj)
    assert str(e.value) == ('template parsing error: template: :1:8: executing "" at '
                            '<.State.Nope>: map has no entry for key "Nope"')
    with pytest.raises(F.FormatError) as e:
        t("{{.State.Status")
    assert e.value.exit_code == 64 and str(e.value) == \
        "template parsing error: template: :1: unclosed action"
