//! Table tests: parsing, evaluation, errors, canonical printing.

use std::collections::HashMap;

use crate::ast::{CompareOp, Field, Node, SetOp};
use crate::parser::EXPECTED_OPERATOR;
use crate::{AnyField, Expr, FieldType, Fields, ParseError, Resolver, Schema, Value};

/// A test record: field (with `[arg]` when it has one) to value.
enum V {
    S(&'static str),
    N(f64),
    B(bool),
    R(u8),
    L(Vec<String>),
    O(&'static str),
}

struct Rec(HashMap<String, V>);

impl Fields for Rec {
    fn field(&self, name: &str, arg: Option<&str>) -> Value<'_> {
        let key = match arg {
            Some(arg) => format!("{name}[{arg}]"),
            None => name.to_owned(),
        };
        match self.0.get(&key) {
            None => Value::Missing,
            Some(V::S(s)) => Value::Str(s),
            Some(V::N(n)) => Value::Num(*n),
            Some(V::B(b)) => Value::Bool(*b),
            Some(V::R(r)) => Value::Rank(*r),
            Some(V::L(l)) => Value::List(l),
            Some(V::O(s)) => Value::Owned((*s).to_owned()),
        }
    }
}

fn list(items: &[&str]) -> V {
    V::L(items.iter().map(|s| (*s).to_owned()).collect())
}

fn record() -> Rec {
    let p = |name| V::R(FieldType::PRIORITY.rank_of(name).expect("a priority"));
    Rec([
        ("source", V::S("k8s_audit")),
        ("k8s.ns.name", V::S("payments")),
        ("priority", p("error")),
        ("priority_text", V::S("Warning")),
        ("tags", list(&["k8s", "shell", "mitre_execution"])),
        ("rule", V::S("Terminal shell in container")),
        ("hostname", V::S("ci-runner-1")),
        (
            "container.image.repository",
            V::S("docker.io/library/nginx"),
        ),
        ("k8s.pod.name", V::S("web-1")),
        ("proc.cmdline", V::S("CURL -s http://example")),
        ("ka.req.pod.containers.image", list(&["nginx", "busybox"])),
        ("ka.uri.param[user]", V::S("admin")),
        ("ka.verb", V::S("create")),
        ("ka.target.resource", V::S("configmaps")),
        ("proc.aname[2]", V::S("bash")),
        ("n", V::N(42.0)),
        ("text_n", V::S("17")),
        ("count", V::S("17")),
        ("flag", V::B(true)),
        ("empty", list(&[])),
        ("owned", V::O("computed value")),
        ("path", V::S("/usr/bin/curl")),
        ("quote", V::S("say \"hi\"\tnow")),
        ("unicode", V::S("Grüße ÄRGER")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect())
}

/// priority and priority_text ranked, tags lists, n/count numbers, flag boolean, `bogus*`
/// unknown, everything else text.
struct TestSchema;

impl Schema for TestSchema {
    fn field_type(&self, name: &str) -> Option<FieldType> {
        Some(match name {
            "priority" | "priority_text" => FieldType::PRIORITY,
            "tags" | "ka.req.pod.containers.image" | "empty" => FieldType::List,
            "n" | "count" => FieldType::Number,
            "flag" => FieldType::Bool,
            _ if name.starts_with("bogus") => return None,
            _ => FieldType::Text,
        })
    }
}

fn parse(src: &str) -> Expr {
    Expr::parse(src, &TestSchema).unwrap_or_else(|e| panic!("{src:?}: {e}"))
}

fn check_all(cases: &[(&str, bool)]) {
    let rec = record();
    for (src, expected) in cases {
        let expr = parse(src);
        assert_eq!(expr.matches(&rec), *expected, "{src}");
        // `not X` is the negation of X, whatever X is.
        let negated = parse(&format!("not ({src})"));
        assert_eq!(negated.matches(&rec), !*expected, "not ({src})");
        // The canonical form means the same.
        let canonical = parse(&expr.ast().to_string());
        assert_eq!(canonical.ast(), expr.ast(), "{src}");
        assert_eq!(canonical.matches(&rec), *expected, "canonical of {src}");
    }
}

#[test]
fn brief_examples() {
    check_all(&[
        (
            "source = k8s_audit and k8s.ns.name in (payments, billing)",
            true,
        ),
        (
            "source = syscall and k8s.ns.name in (payments, billing)",
            false,
        ),
        ("priority >= warning", true),
        ("priority >= critical", false),
        ("tags contains k8s", true),
        ("tags contains k8", false),
        ("rule = \"Terminal shell in container\"", true),
        ("rule = 'Terminal shell in container'", true),
        (
            "rule = \"Launch Package Management Process in Container\"",
            false,
        ),
        (
            "not (hostname startswith ci- or hostname glob \"build-*\")",
            false,
        ),
        (
            "not (hostname startswith cd- or hostname glob \"build-*\")",
            true,
        ),
        (
            "container.image.repository regex \"^docker\\.io/library/.*\"",
            true,
        ),
        ("k8s.pod.name exists", true),
        ("proc.cmdline icontains curl", true),
        (
            "ka.req.pod.containers.image intersects (nginx, redis)",
            true,
        ),
        ("ka.uri.param[user] = admin", true),
        (
            "ka.verb in (create, update) and ka.target.resource = configmaps",
            true,
        ),
    ]);
}

#[test]
fn comparison_operators() {
    check_all(&[
        ("ka.verb = create", true),
        ("ka.verb == create", true),
        ("ka.verb = Create", false),
        ("ka.verb != create", true == false),
        ("ka.verb != update", true),
        ("n = 42", true),
        ("n = 42.0", true),
        ("n != 42", false),
        ("n < 43", true),
        ("n <= 42", true),
        ("n > 42", false),
        ("n >= 42", true),
        ("n > 41.5", true),
        ("n < -1", false),
        // A text field compares numerically when both sides are numbers…
        ("text_n < 100", true),
        ("text_n > 9", true),
        ("text_n >= 17", true),
        ("text_n = 17", true),
        // …and never lexically.
        ("ka.verb < zzz", false),
        ("ka.verb > a", false),
        ("ka.verb <= create", false),
        ("text_n < abc", false),
        // A number field given as text is read as a number.
        ("count = 17.0", true),
        ("count > 3", true),
        ("flag = true", true),
        ("flag = FALSE", false),
        ("flag != false", true),
        ("flag < true", false),
    ]);
}

#[test]
fn text_operators() {
    check_all(&[
        ("rule contains shell", true),
        ("rule contains Shell", false),
        ("rule icontains SHELL", true),
        ("rule startswith Terminal", true),
        ("rule startswith shell", false),
        ("rule endswith container", true),
        ("rule endswith Terminal", false),
        ("path glob /usr/bin/*", true),
        ("path glob \"/usr/*/c?rl\"", true),
        ("path glob \"/usr/bin/[a-c]url\"", true),
        ("path glob /bin/*", false),
        ("path glob *curl", true),
        ("path regex \"/usr/bin/.*\"", true),
        // regex matches the whole value, as Falco's.
        ("path regex bin", false),
        ("path regex \".*bin.*\"", true),
        ("path regex \"/usr/bin/curl|x\"", true),
        ("path regex \"(?i)/USR/BIN/CURL\"", true),
        ("unicode icontains grüsse", false),
        ("unicode icontains \"äRGER\"", true),
        ("unicode contains ß", true),
        ("owned = \"computed value\"", true),
        ("owned startswith comp", true),
        // Text operators on numbers and booleans read them as text.
        ("n startswith 4", true),
        ("n contains 2", true),
        ("flag = true and flag startswith tr", true),
        ("priority contains err", true),
        ("priority glob \"e*r\"", true),
    ]);
}

#[test]
fn set_operators() {
    check_all(&[
        ("ka.verb in (create, update)", true),
        ("ka.verb in (update, delete)", false),
        ("ka.verb in ()", false),
        ("ka.verb intersects (create)", true),
        ("ka.verb in (\"create\")", true),
        ("n in (1, 42, 7)", true),
        ("n in (1, 2)", false),
        ("n in (42.0)", true),
        ("priority in (error, critical)", true),
        ("priority in (Warning, notice)", false),
        ("priority_text in (warning)", true),
        ("flag in (true)", true),
        ("flag in (false)", false),
        // A list field: `in` needs every element in the set, `intersects` any.
        ("tags in (k8s, shell, mitre_execution, other)", true),
        ("tags in (k8s, shell)", false),
        ("tags intersects (shell, nothing)", true),
        ("tags intersects (nothing)", false),
        ("ka.req.pod.containers.image in (nginx, busybox)", true),
        ("ka.req.pod.containers.image intersects (redis)", false),
    ]);
}

#[test]
fn list_fields() {
    check_all(&[
        ("tags = shell", true),
        ("tags = she", false),
        ("tags != shell", false),
        ("tags != nothing", true),
        ("tags contains shell", true),
        ("tags icontains SHELL", true),
        ("tags startswith mitre_", true),
        ("tags endswith ell", true),
        ("tags glob \"mitre_*\"", true),
        ("tags regex \"k8.\"", true),
        ("tags regex \"k8\"", false),
        ("tags exists", true),
        // An empty list is as good as missing.
        ("empty exists", false),
        ("empty != x", false),
        ("empty in (x)", false),
    ]);
}

#[test]
fn ranked_fields() {
    check_all(&[
        ("priority = error", true),
        ("priority = ERROR", true),
        ("priority != error", false),
        ("priority > warning", true),
        ("priority >= error", true),
        ("priority > error", false),
        ("priority < critical", true),
        ("priority <= debug", false),
        ("priority >= info", true),
        ("priority >= Informational", true),
        ("priority < emergency", true),
        // A ranked field the record gives as text is ranked by its name.
        ("priority_text = warning", true),
        ("priority_text >= notice", true),
        ("priority_text > warning", false),
    ]);
}

#[test]
fn missing_fields_make_every_test_false() {
    let ops = [
        "= x",
        "!= x",
        "< 1",
        "<= 1",
        "> 1",
        ">= 1",
        "contains x",
        "icontains x",
        "startswith x",
        "endswith x",
        "glob x",
        "regex x",
        "in (x)",
        "intersects (x)",
        "exists",
    ];
    let rec = record();
    for op in ops {
        let src = format!("nosuch.field {op}");
        assert!(!parse(&src).matches(&rec), "{src}");
        assert!(parse(&format!("not {src}")).matches(&rec), "not {src}");
    }
}

#[test]
fn precedence_and_grouping() {
    check_all(&[
        // not > and > or
        ("ka.verb = x or ka.verb = create and n = 42", true),
        ("(ka.verb = x or ka.verb = create) and n = 1", false),
        ("ka.verb = create or ka.verb = x and n = 1", true),
        ("not ka.verb = x and n = 42", true),
        ("not ka.verb = create or n = 42", true),
        ("not (ka.verb = create or n = 42)", false),
        ("not not ka.verb = create", true),
        ("((((ka.verb = create))))", true),
        ("not(ka.verb=create)", false),
        ("ka.verb=create and(n=42)", true),
    ]);
    let tree = parse("a = 1 or b = 2 and not c = 3").ast().clone();
    let cmp = |name: &str, value: &str| Node::Compare {
        field: Field::new(name),
        op: CompareOp::Eq,
        value: value.into(),
    };
    assert_eq!(
        tree,
        Node::Or(vec![
            cmp("a", "1"),
            Node::And(vec![cmp("b", "2"), cmp("c", "3").not()]),
        ])
    );
}

#[test]
fn values_quoting_and_escapes() {
    let value = |src: &str| match parse(src).ast() {
        Node::Compare { value, .. } => value.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(value("a = /usr/bin/curl"), "/usr/bin/curl");
    assert_eq!(value("a = ci-"), "ci-");
    assert_eq!(value("a = b=c"), "b=c");
    assert_eq!(value("a=b"), "b");
    assert_eq!(value("a != \"\""), "");
    assert_eq!(value(r#"a = "x \"y\" z""#), "x \"y\" z");
    assert_eq!(value(r#"a = 'it\'s'"#), "it's");
    assert_eq!(value(r#"a = 'say "hi"'"#), "say \"hi\"");
    assert_eq!(
        value(r#"a = "tab\there\nnew\\line""#),
        "tab\there\nnew\\line"
    );
    assert_eq!(value(r#"a = "^docker\.io\d""#), r"^docker\.io\d");
    assert_eq!(value("a = héllo"), "héllo");
    let items = |src: &str| match parse(src).ast() {
        Node::Set { items, .. } => items.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(items("a in (a, \"b c\", 3)"), ["a", "b c", "3"]);
    assert_eq!(items("a in(a,b ,  c )"), ["a", "b", "c"]);
    assert_eq!(items("a intersects ('x,y', \"(z)\")"), ["x,y", "(z)"]);
    check_all(&[("quote = \"say \\\"hi\\\"\\tnow\"", true)]);
}

#[test]
fn bracket_arguments() {
    let expr = parse("ka.uri.param[user] = admin and proc.aname[2] = bash");
    assert!(expr.matches(&record()));
    match expr.ast() {
        Node::And(nodes) => match &nodes[0] {
            Node::Compare { field, .. } => {
                assert_eq!(field, &Field::with_arg("ka.uri.param", "user"))
            }
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
    assert!(!parse("ka.uri.param[group] = admin").matches(&record()));
    assert!(!parse("ka.uri.param = admin").matches(&record()));
    let labels = parse("k8s.ns.labels[app.kubernetes.io/name] exists");
    assert_eq!(
        labels.ast().to_string(),
        "k8s.ns.labels[app.kubernetes.io/name] exists"
    );
}

#[test]
fn parse_errors() {
    let priorities =
        "a priority (emergency, alert, critical, error, warning, notice, informational, debug)";
    let cases: &[(&str, usize, &str, &str)] = &[
        ("source = ", 10, "a value", "end of input"),
        ("source =", 9, "a value", "end of input"),
        ("a in (b, c", 11, "`,` or `)`", "end of input"),
        ("a in (b c)", 9, "`,` or `)`", "`c`"),
        ("a in (b, )", 10, "a value", "`)`"),
        ("a in b", 6, "`(`", "`b`"),
        ("priority >= warnin", 13, priorities, "`warnin`"),
        ("priority in (error, Warnin)", 21, priorities, "`Warnin`"),
        ("priority = \"bad one\"", 12, priorities, "`bad one`"),
        ("n = abc", 5, "a number", "`abc`"),
        ("n in (1, x)", 10, "a number", "`x`"),
        ("flag = yes", 8, "`true` or `false`", "`yes`"),
        ("", 1, "a field, `not` or `(`", "end of input"),
        ("   ", 4, "a field, `not` or `(`", "end of input"),
        ("= x", 1, "a field, `not` or `(`", "`=`"),
        ("a = b and", 10, "a field, `not` or `(`", "end of input"),
        ("a = b and or c = d", 11, "a field, `not` or `(`", "`or`"),
        ("a = b c = d", 7, "`and`, `or` or end of input", "`c`"),
        ("(a = b", 7, "`and`, `or` or `)`", "end of input"),
        ("a = b)", 6, "`and`, `or` or end of input", "`)`"),
        ("bogus.field = 1", 1, "a known field", "`bogus.field`"),
        ("x = 1 and bogus exists", 11, "a known field", "`bogus`"),
        ("bogus", 1, "a known field", "`bogus`"),
        ("a = \"open", 10, "a closing `\"`", "end of input"),
        ("a = 'open\\'", 12, "a closing `'`", "end of input"),
        ("a[x = 1", 8, "`]`", "end of input"),
        ("a[] = 1", 3, "a field argument", "`]`"),
        (
            "a regex \"(\"",
            9,
            "a valid regular expression (unclosed group)",
            "`(`",
        ),
        (
            "a regex \"a)(b\"",
            9,
            "a valid regular expression (unopened group)",
            "`a)(b`",
        ),
        (
            "a glob \"[ab\"",
            8,
            "a valid glob pattern (unclosed character class; missing ']')",
            "`[ab`",
        ),
        ("a = (b)", 5, "a value", "`(`"),
        ("a ! b", 3, EXPECTED_OPERATOR, "`!`"),
        ("a", 2, EXPECTED_OPERATOR, "end of input"),
        ("a.b foo", 5, EXPECTED_OPERATOR, "`foo`"),
        ("a AND b", 3, EXPECTED_OPERATOR, "`AND`"),
        ("é = 1", 1, "a field, `not` or `(`", "`é`"),
        ("x = é and", 10, "a field, `not` or `(`", "end of input"),
    ];
    for (src, column, expected, found) in cases {
        let err = Expr::parse(src, &TestSchema).expect_err(src);
        assert_eq!(
            err,
            ParseError {
                column: *column,
                expected: (*expected).to_owned(),
                found: (*found).to_owned(),
            },
            "{src}"
        );
    }
    let err = Expr::parse("source = ", &AnyField).expect_err("no value");
    assert_eq!(
        err.to_string(),
        "column 10: expected a value, found end of input"
    );
}

#[test]
fn nesting_is_bounded() {
    let deep = |n: usize| format!("{}a = 1{}", "(".repeat(n), ")".repeat(n));
    assert!(Expr::parse(&deep(crate::MAX_DEPTH), &AnyField).is_ok());
    let err = Expr::parse(&deep(crate::MAX_DEPTH + 1), &AnyField).expect_err("too deep");
    assert_eq!(err.column, crate::MAX_DEPTH + 1);
    let nots = format!("{}a = 1", "not ".repeat(100_000));
    assert!(Expr::parse(&nots, &AnyField).is_err());
}

#[test]
fn canonical_display() {
    let cases = [
        ("a=b", "a = b"),
        ("a == b", "a = b"),
        ("  a   =   'b c'  ", "a = \"b c\""),
        ("a = \"\"", "a = \"\""),
        ("a = 'x\"y'", "a = \"x\\\"y\""),
        ("a regex \"^docker\\.io\"", "a regex \"^docker\\\\.io\""),
        ("a in(b,'c d',3)", "a in (b, \"c d\", 3)"),
        ("a intersects ()", "a intersects ()"),
        ("(a = 1 or b = 2) and c = 3", "(a = 1 or b = 2) and c = 3"),
        ("a = 1 or (b = 2 and c = 3)", "a = 1 or b = 2 and c = 3"),
        ("(a = 1 and b = 2) and c = 3", "(a = 1 and b = 2) and c = 3"),
        ("not (a = 1)", "not a = 1"),
        ("not (a = 1 or b exists)", "not (a = 1 or b exists)"),
        ("not not a exists", "not not a exists"),
        ("a[x y] startswith ci-", "a[x y] startswith ci-"),
    ];
    for (src, canonical) in cases {
        let expr = parse(src);
        assert_eq!(expr.ast().to_string(), canonical, "{src}");
        assert_eq!(parse(canonical).ast(), expr.ast(), "{src}");
        assert_eq!(
            Expr::from_ast(expr.ast(), &TestSchema).expect(src).source(),
            canonical
        );
    }
}

#[test]
fn failing_clause_names_the_first_false_operand() {
    let rec = record();
    let expr = parse("source = k8s_audit and  ka.verb in (update, delete) and n > 100");
    assert_eq!(
        expr.failing_clause(&rec),
        Some("ka.verb in (update, delete)")
    );
    let expr = parse(" (ka.verb = create and (n = 1 or n = 2)) ");
    assert_eq!(expr.failing_clause(&rec), Some("(n = 1 or n = 2)"));
    let expr = parse("  ka.verb = x or n = 1 ");
    assert_eq!(expr.failing_clause(&rec), Some("ka.verb = x or n = 1"));
    let expr = parse("not (source = k8s_audit and n = 42)");
    assert_eq!(
        expr.failing_clause(&rec),
        Some("not (source = k8s_audit and n = 42)")
    );
    assert_eq!(
        parse("source = k8s_audit and n = 42").failing_clause(&rec),
        None
    );
}

#[test]
fn fields_lists_each_field_once() {
    let expr = parse("a = 1 and (b[x] exists or a in (1)) and not c.d contains e");
    assert_eq!(expr.fields().collect::<Vec<_>>(), ["a", "b", "c.d"]);
    assert_eq!(
        expr.source(),
        "a = 1 and (b[x] exists or a in (1)) and not c.d contains e"
    );
    assert_eq!(expr.to_string(), expr.source());
}

struct Rules;

impl Resolver for Rules {
    fn macro_condition(&self, name: &str) -> Option<Node> {
        match name {
            "kcreate" => Some(parse("ka.verb = create").ast().clone()),
            "both" => Some(parse("ka.verb = create and n = 42").ast().clone()),
            "broken" => Some(Node::Compare {
                field: Field::new("n"),
                op: CompareOp::Eq,
                value: "many".into(),
            }),
            _ => None,
        }
    }
    fn list_items(&self, name: &str) -> Option<Vec<String>> {
        (name == "verbs").then(|| vec!["create".into(), "update".into()])
    }
}

#[test]
fn resolver_expands_macros_and_lists() {
    let rec = record();
    let parse_with = |src: &str| Expr::parse_with(src, &TestSchema, &Rules);
    let expr = parse_with("kcreate and ka.verb in (verbs, patch)").expect("parses");
    assert!(expr.matches(&rec));
    assert_eq!(
        expr.ast().to_string(),
        "ka.verb = create and ka.verb in (create, update, patch)"
    );
    assert!(!parse_with("not kcreate").expect("parses").matches(&rec));
    // A quoted list name is a literal.
    let quoted = parse_with("ka.verb in (\"verbs\")").expect("parses");
    assert!(!quoted.matches(&rec));
    let expr = parse_with("not both or kcreate").expect("parses");
    assert_eq!(
        expr.ast().to_string(),
        "not (ka.verb = create and n = 42) or ka.verb = create"
    );
    assert!(expr.matches(&rec));
    // Macro `and`s are not clauses of the written expression.
    let expr = parse_with("both").expect("parses");
    assert_eq!(expr.failing_clause(&Rec(HashMap::new())), Some("both"));
    let err = parse_with("x = 1 and broken").expect_err("bad macro");
    assert_eq!(
        err,
        ParseError {
            column: 11,
            expected: "a number in macro `broken`".into(),
            found: "`many`".into(),
        }
    );
    assert!(Expr::parse("kcreate", &TestSchema).is_err());
}

#[test]
fn large_sets() {
    let items: Vec<String> = (0..20_000).map(|i| format!("ns-{i}")).collect();
    let src = format!("k8s.ns.name in ({})", items.join(", "));
    let expr = parse(&src);
    assert!(!expr.matches(&record()));
    let rec = Rec([("k8s.ns.name".to_owned(), V::S("ns-19999"))]
        .into_iter()
        .collect());
    assert!(expr.matches(&rec));
    match expr.ast() {
        Node::Set { op, items, .. } => {
            assert_eq!(*op, SetOp::In);
            assert_eq!(items.len(), 20_000);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn rank_helpers() {
    let p = FieldType::PRIORITY;
    assert_eq!(p.rank_of("debug"), Some(0));
    assert_eq!(p.rank_of("INFO"), Some(1));
    assert_eq!(p.rank_of("Emergency"), Some(7));
    assert_eq!(p.rank_of("bad"), None);
    assert_eq!(p.rank_name(3), Some("warning"));
    assert_eq!(FieldType::Text.rank_of("debug"), None);
    // Without a ranked schema, a rank compares with numbers.
    let rec = Rec([("priority".to_owned(), V::R(4))].into_iter().collect());
    assert!(Expr::parse("priority >= 3", &AnyField)
        .expect("parses")
        .matches(&rec));
    assert!(!Expr::parse("priority = error", &AnyField)
        .expect("parses")
        .matches(&rec));
    let closure = |name: &str| (name == "priority").then_some(FieldType::PRIORITY);
    assert!(Expr::parse("priority = error", &closure)
        .expect("parses")
        .matches(&rec));
    assert!(Expr::parse("other = error", &closure).is_err());
}

#[test]
fn expr_is_shareable() {
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<Expr>();
}

#[test]
fn pmatch_matches_paths_and_what_lies_under_them() {
    check_all(&[
        ("path pmatch (/usr/bin)", true),
        ("path pmatch (/usr/bin/)", true),
        ("path pmatch (/usr/bin/curl)", true),
        ("path pmatch (/etc, /usr)", true),
        ("path pmatch (/usr/bi)", false),
        ("path pmatch (/usr/bin/curl/x)", false),
        ("path pmatch (/)", true),
        ("path pmatch ()", false),
        ("missing pmatch (/)", false),
        ("ka.req.pod.containers.image pmatch (nginx)", true),
        ("ka.req.pod.containers.image pmatch (ngin)", false),
    ]);
    let expr = parse("path pmatch (\"/a b\", /c)");
    assert_eq!(expr.ast().to_string(), "path pmatch (\"/a b\", /c)");
}
