//! Label and field selectors with Kubernetes semantics (apimachinery `labels.Parse`,
//! `metav1.LabelSelectorAsSelector` and `fields.ParseSelector`).
//!
//! - [`LabelSelector`]: parsed from the query-string form (`app=web,tier in (a,b),!canary`) or
//!   converted from a `metav1.LabelSelector` object (`matchLabels`, `matchExpressions`); matched
//!   against an object's labels; rendered back to the query-string form by `Display`.
//! - [`FieldSelector`]: `metadata.name=x,spec.nodeName!=n1`, matched against an untyped object by
//!   reading each field by its dotted path.
//!
//! Error messages follow kube-apiserver's wording, because kubectl prints them verbatim.

use crate::api::json::{AsJson, Json};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// A selector that could not be parsed or converted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SelectorError {
    /// A label selector requirement is malformed or names an invalid key or value.
    #[error("unable to parse requirement: {0}")]
    Requirement(String),
    /// A label selector has an unexpected token between requirements.
    #[error("found '{found}', expected: {expected}")]
    Unexpected {
        /// The token that was found (empty at the end of the string).
        found: String,
        /// What the parser expected instead.
        expected: &'static str,
    },
    /// A `matchExpressions` entry uses an operator other than In, NotIn, Exists, DoesNotExist.
    #[error("{0:?} is not a valid label selector operator")]
    BadOperator(String),
    /// A `metav1.LabelSelector` requirement is invalid (key, values or operator arity).
    #[error("{0}")]
    InvalidRequirement(String),
    /// A `metav1.LabelSelector` object has the wrong shape (e.g. `matchLabels` is not a map).
    #[error("invalid label selector: {0}")]
    Malformed(String),
    /// A field selector term has no `=`, `==` or `!=`.
    #[error("invalid selector: '{selector}'; can't understand '{term}'")]
    FieldTerm {
        /// The whole selector, as given.
        selector: String,
        /// The term that could not be split.
        term: String,
    },
    /// A field selector value has a backslash not followed by `\`, `,` or `=`.
    #[error("invalid field selector: invalid escape sequence: {0}")]
    EscapeSequence(String),
    /// A field selector value has an unescaped `,` or `=` (shown as its code point, as Go does).
    #[error("invalid field selector: unescaped character in value: {0}")]
    UnescapedCharacter(u32),
    /// A field selector names a field the resource does not index.
    #[error("field label not supported: {0}")]
    FieldNotSupported(String),
}

/// Shorthand for selector results.
pub type Result<T, E = SelectorError> = std::result::Result<T, E>;

/// How a label requirement relates its key to its values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operator {
    /// `key=value`.
    Equals,
    /// `key==value`.
    DoubleEquals,
    /// `key!=value`: also true when the key is absent.
    NotEquals,
    /// `key in (a,b)`.
    In,
    /// `key notin (a,b)`: also true when the key is absent.
    NotIn,
    /// `key`.
    Exists,
    /// `!key`.
    DoesNotExist,
    /// `key>3`: the label parses as an integer greater than the value.
    GreaterThan,
    /// `key<3`: the label parses as an integer less than the value.
    LessThan,
}

/// One requirement of a label selector: a key, an operator and its values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requirement {
    key: String,
    operator: Operator,
    values: Vec<String>,
}

impl Requirement {
    /// Builds a requirement, validating the key, the values and the operator's arity like
    /// apimachinery's `NewRequirement`. Errors carry kube's field paths (`key`, `values[0][k]`).
    pub fn new(key: &str, operator: Operator, values: Vec<String>) -> Result<Requirement> {
        let mut errors = Vec::new();
        let key_errors = label_key_errors(key);
        if !key_errors.is_empty() {
            errors.push(invalid("key", key, &key_errors));
        }
        // The operator's arity, worded as `field.Invalid` on the whole value list.
        let arity =
            |detail: &str| format!("values: Invalid value: {}: {detail}", go_slice(&values));
        match operator {
            Operator::In | Operator::NotIn if values.is_empty() => errors.push(arity(
                "for 'in', 'notin' operators, values set can't be empty",
            )),
            Operator::Equals | Operator::DoubleEquals | Operator::NotEquals
                if values.len() != 1 =>
            {
                errors.push(arity("exact-match compatibility requires one single value"))
            }
            Operator::Exists | Operator::DoesNotExist if !values.is_empty() => errors.push(arity(
                "values set must be empty for exists and does not exist",
            )),
            Operator::GreaterThan | Operator::LessThan => {
                if values.len() != 1 {
                    errors.push(arity(
                        "for 'Gt', 'Lt' operators, exactly one value is required",
                    ));
                }
                for (i, v) in values.iter().enumerate() {
                    if v.parse::<i64>().is_err() {
                        errors.push(format!(
                            "values[{i}]: Invalid value: {v:?}: \
                             for 'Gt', 'Lt' operators, the value must be an integer"
                        ));
                    }
                }
            }
            _ => {}
        }
        for (i, v) in values.iter().enumerate() {
            let value_errors = label_value_errors(v);
            if !value_errors.is_empty() {
                errors.push(invalid(&format!("values[{i}][{key}]"), v, &value_errors));
            }
        }
        if errors.is_empty() {
            Ok(Requirement {
                key: key.to_string(),
                operator,
                values,
            })
        } else {
            Err(SelectorError::InvalidRequirement(aggregate(errors)))
        }
    }

    /// The label key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The operator.
    pub fn operator(&self) -> Operator {
        self.operator
    }

    /// The values (empty for `Exists` and `DoesNotExist`).
    pub fn values(&self) -> &[String] {
        &self.values
    }

    /// Whether a set of labels satisfies this requirement.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        let found = labels.get(&self.key);
        match self.operator {
            Operator::In | Operator::Equals | Operator::DoubleEquals => {
                found.is_some_and(|v| self.values.contains(v))
            }
            // Kubernetes treats a missing key as "not equal to" any value.
            Operator::NotIn | Operator::NotEquals => found.is_none_or(|v| !self.values.contains(v)),
            Operator::Exists => found.is_some(),
            Operator::DoesNotExist => found.is_none(),
            Operator::GreaterThan | Operator::LessThan => {
                let (Some(label), [bound]) = (found, self.values.as_slice()) else {
                    return false;
                };
                match (label.parse::<i64>(), bound.parse::<i64>()) {
                    (Ok(label), Ok(bound)) if self.operator == Operator::GreaterThan => {
                        label > bound
                    }
                    (Ok(label), Ok(bound)) => label < bound,
                    _ => false,
                }
            }
        }
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.operator == Operator::DoesNotExist {
            f.write_str("!")?;
        }
        f.write_str(&self.key)?;
        let op = match self.operator {
            Operator::Exists | Operator::DoesNotExist => return Ok(()),
            Operator::Equals => "=",
            Operator::DoubleEquals => "==",
            Operator::NotEquals => "!=",
            Operator::In => " in ",
            Operator::NotIn => " notin ",
            Operator::GreaterThan => ">",
            Operator::LessThan => "<",
        };
        // Values print sorted, as kube's String() does, so equal selectors render equally.
        let mut values: Vec<&str> = self.values.iter().map(String::as_str).collect();
        values.sort_unstable();
        let joined = values.join(",");
        match self.operator {
            Operator::In | Operator::NotIn => write!(f, "{op}({joined})"),
            _ => write!(f, "{op}{joined}"),
        }
    }
}

/// A label selector: requirements that must all hold (AND).
///
/// ```
/// use std::collections::BTreeMap;
/// use tutti::api::selector::LabelSelector;
///
/// let sel = LabelSelector::parse("app=web, tier in (a,b), !canary").unwrap();
/// let labels = BTreeMap::from([("app".to_string(), "web".to_string()),
///                              ("tier".to_string(), "a".to_string())]);
/// assert!(sel.matches(&labels));
/// assert_eq!(sel.to_string(), "app=web,!canary,tier in (a,b)");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LabelSelector {
    requirements: Vec<Requirement>,
    /// A nil `metav1.LabelSelector` selects nothing, unlike an empty one which selects everything.
    selects_nothing: bool,
}

impl LabelSelector {
    /// The selector that matches every set of labels.
    pub fn everything() -> LabelSelector {
        LabelSelector::default()
    }

    /// The selector that matches nothing (what a missing `metav1.LabelSelector` means).
    pub fn nothing() -> LabelSelector {
        LabelSelector {
            requirements: Vec::new(),
            selects_nothing: true,
        }
    }

    /// Parses the query-string form used by `?labelSelector=` and `kubectl -l`.
    ///
    /// Grammar (apimachinery `labels.Parse`): comma-separated requirements, each
    /// `[!]key`, `key (=|==|!=) value`, `key (in|notin) (v1,v2)`, or `key (>|<) int`;
    /// whitespace between tokens is ignored; an empty string selects everything.
    pub fn parse(s: &str) -> Result<LabelSelector> {
        let mut parser = Parser::new(s);
        let mut requirements = parser.parse()?;
        // Kubernetes sorts requirements by key so that the string form is deterministic.
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(LabelSelector {
            requirements,
            selects_nothing: false,
        })
    }

    /// Converts a `metav1.LabelSelector` object (`{"matchLabels": {...}, "matchExpressions":
    /// [{"key", "operator", "values"}]}`), as controllers read from `spec.selector`.
    ///
    /// `null` selects nothing; an object with no requirements selects everything (as
    /// `metav1.LabelSelectorAsSelector`).
    pub fn from_label_selector_json(sel: &Value) -> Result<LabelSelector> {
        let obj = match sel {
            Value::Null => return Ok(LabelSelector::nothing()),
            Value::Object(obj) => obj,
            other => {
                return Err(SelectorError::Malformed(format!(
                    "expected an object, got {other}"
                )))
            }
        };
        let mut requirements = Vec::new();
        match obj.get("matchLabels") {
            None | Some(Value::Null) => {}
            Some(Value::Object(labels)) => {
                for (key, value) in labels {
                    let value = value.as_str().ok_or_else(|| {
                        SelectorError::Malformed(format!("matchLabels[{key}] is not a string"))
                    })?;
                    requirements.push(Requirement::new(
                        key,
                        Operator::Equals,
                        vec![value.to_string()],
                    )?);
                }
            }
            Some(other) => {
                return Err(SelectorError::Malformed(format!(
                    "matchLabels is not a map: {other}"
                )))
            }
        }
        match obj.get("matchExpressions") {
            None | Some(Value::Null) => {}
            Some(Value::Array(exprs)) => {
                for expr in exprs {
                    requirements.push(expression_requirement(expr)?);
                }
            }
            Some(other) => {
                return Err(SelectorError::Malformed(format!(
                    "matchExpressions is not a list: {other}"
                )))
            }
        }
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(LabelSelector {
            requirements,
            selects_nothing: false,
        })
    }

    /// Whether the labels satisfy every requirement. The empty selector matches everything.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        !self.selects_nothing && self.requirements.iter().all(|r| r.matches(labels))
    }

    /// True for the selector that matches everything (no requirements).
    pub fn is_empty(&self) -> bool {
        !self.selects_nothing && self.requirements.is_empty()
    }

    /// True for the selector that matches nothing.
    pub fn selects_nothing(&self) -> bool {
        self.selects_nothing
    }

    /// The requirements, sorted by key.
    pub fn requirements(&self) -> &[Requirement] {
        &self.requirements
    }

    /// The value a label must have when the selector pins it to exactly one value
    /// (`key=v`, `key==v` or `key in (v)`), as apimachinery's `RequiresExactMatch`.
    pub fn required_value(&self, key: &str) -> Option<&str> {
        let r = self.requirements.iter().find(|r| r.key == key)?;
        match (r.operator, r.values.as_slice()) {
            (Operator::Equals | Operator::DoubleEquals | Operator::In, [v]) => Some(v),
            _ => None,
        }
    }
}

impl fmt::Display for LabelSelector {
    /// The query-string form, e.g. `app=web,tier in (a,b)` (what kubectl's `-o wide` SELECTOR
    /// column shows). The selector that matches nothing renders as "", as in Kubernetes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.requirements.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{r}")?;
        }
        Ok(())
    }
}

impl FromStr for LabelSelector {
    type Err = SelectorError;

    fn from_str(s: &str) -> Result<LabelSelector> {
        LabelSelector::parse(s)
    }
}

fn expression_requirement(expr: &Value) -> Result<Requirement> {
    let field = |name: &str| expr.get(name).and_then(Value::as_str).unwrap_or("");
    let operator = match field("operator") {
        "In" => Operator::In,
        "NotIn" => Operator::NotIn,
        "Exists" => Operator::Exists,
        "DoesNotExist" => Operator::DoesNotExist,
        other => return Err(SelectorError::BadOperator(other.to_string())),
    };
    let values = match expr.get("values") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(values)) => values
            .iter()
            .map(|v| {
                v.as_str().map(str::to_string).ok_or_else(|| {
                    SelectorError::Malformed(format!("matchExpressions value {v} is not a string"))
                })
            })
            .collect::<Result<_>>()?,
        Some(other) => {
            return Err(SelectorError::Malformed(format!(
                "matchExpressions values is not a list: {other}"
            )))
        }
    };
    Requirement::new(field("key"), operator, values)
}

// ---------------------------------------------------------------------------------------------
// Label selector lexer and parser. The token set and the error wording follow apimachinery's
// `labels` package so that kubectl users see the messages they know.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Token {
    End,
    ClosedPar,
    Comma,
    DoesNotExist,
    DoubleEquals,
    Equals,
    GreaterThan,
    Identifier,
    In,
    LessThan,
    NotEquals,
    NotIn,
    OpenPar,
}

fn keyword(s: &str) -> Option<Token> {
    Some(match s {
        ")" => Token::ClosedPar,
        "," => Token::Comma,
        "!" => Token::DoesNotExist,
        "==" => Token::DoubleEquals,
        "=" => Token::Equals,
        ">" => Token::GreaterThan,
        "in" => Token::In,
        "<" => Token::LessThan,
        "!=" => Token::NotEquals,
        "notin" => Token::NotIn,
        "(" => Token::OpenPar,
        _ => return None,
    })
}

fn is_special(b: u8) -> bool {
    matches!(b, b'=' | b'!' | b'(' | b')' | b',' | b'>' | b'<')
}

fn is_whitespace(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Splits a selector into tokens. Identifiers are runs of anything that is neither whitespace
/// nor an operator character; validation of keys and values happens in the parser.
fn lex(s: &str) -> Vec<(Token, String)> {
    let bytes = s.as_bytes();
    let mut tokens = Vec::new();
    let mut pos = 0;
    loop {
        while pos < bytes.len() && is_whitespace(bytes[pos]) {
            pos += 1;
        }
        if pos >= bytes.len() {
            tokens.push((Token::End, String::new()));
            return tokens;
        }
        let start = pos;
        if is_special(bytes[pos]) {
            // The longest run of operator characters that is still a token: `!=` and `==`
            // are one token, `=(` is two. Every single operator character is a token.
            let mut end = pos + 1;
            while end < bytes.len() && is_special(bytes[end]) && keyword(&s[start..=end]).is_some()
            {
                end += 1;
            }
            let literal = &s[start..end];
            let token = keyword(literal).unwrap_or(Token::Identifier);
            tokens.push((token, literal.to_string()));
            pos = end;
        } else {
            while pos < bytes.len() && !is_special(bytes[pos]) && !is_whitespace(bytes[pos]) {
                pos += 1;
            }
            let literal = &s[start..pos];
            let token = match keyword(literal) {
                Some(t @ (Token::In | Token::NotIn)) => t,
                _ => Token::Identifier,
            };
            tokens.push((token, literal.to_string()));
        }
    }
}

/// Where the parser is: `in` and `notin` are operators after a key but plain identifiers
/// where a key or a value is expected (`in in (in)` is a valid selector).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    KeyAndOperator,
    Values,
}

struct Parser {
    tokens: Vec<(Token, String)>,
    position: usize,
}

impl Parser {
    fn new(s: &str) -> Parser {
        Parser {
            tokens: lex(s),
            position: 0,
        }
    }

    fn lookahead(&self, context: Context) -> (Token, String) {
        // The lexer always ends with `End` and the parser never consumes past it, so the
        // index stays in range; clamp anyway rather than panic on a parser bug.
        let i = self.position.min(self.tokens.len() - 1);
        let (token, literal) = self.tokens[i].clone();
        (Self::in_context(token, context), literal)
    }

    fn consume(&mut self, context: Context) -> (Token, String) {
        let item = self.lookahead(context);
        if self.position < self.tokens.len() - 1 {
            self.position += 1;
        }
        item
    }

    fn in_context(token: Token, context: Context) -> Token {
        match (token, context) {
            (Token::In | Token::NotIn, Context::Values) => Token::Identifier,
            _ => token,
        }
    }

    fn parse(&mut self) -> Result<Vec<Requirement>> {
        let mut requirements = Vec::new();
        loop {
            let (token, literal) = self.lookahead(Context::Values);
            match token {
                Token::Identifier | Token::DoesNotExist => {
                    let r = self
                        .parse_requirement()
                        .map_err(SelectorError::Requirement)?;
                    requirements.push(r);
                    let (token, literal) = self.consume(Context::Values);
                    match token {
                        Token::End => return Ok(requirements),
                        Token::Comma => {
                            let (next, literal) = self.lookahead(Context::Values);
                            if next != Token::Identifier && next != Token::DoesNotExist {
                                return Err(SelectorError::Unexpected {
                                    found: literal,
                                    expected: "identifier after ','",
                                });
                            }
                        }
                        _ => {
                            return Err(SelectorError::Unexpected {
                                found: literal,
                                expected: "',' or 'end of string'",
                            })
                        }
                    }
                }
                Token::End => return Ok(requirements),
                _ => {
                    return Err(SelectorError::Unexpected {
                        found: literal,
                        expected: "!, identifier, or 'end of string'",
                    })
                }
            }
        }
    }

    /// One requirement; the error is the text that follows "unable to parse requirement: ".
    fn parse_requirement(&mut self) -> Result<Requirement, String> {
        let (key, unary) = self.parse_key_and_infer_operator()?;
        if let Some(operator) = unary {
            return Requirement::new(&key, operator, Vec::new()).map_err(|e| e.to_string());
        }
        let operator = self.parse_operator()?;
        let mut values = match operator {
            Operator::In | Operator::NotIn => self.parse_values()?,
            _ => self.parse_exact_value()?,
        };
        // Values form a set, listed in order, as apimachinery's `sets.String`.
        values.sort();
        values.dedup();
        Requirement::new(&key, operator, values).map_err(|e| e.to_string())
    }

    /// The key, and `Exists` or `DoesNotExist` when the requirement is unary.
    fn parse_key_and_infer_operator(&mut self) -> Result<(String, Option<Operator>), String> {
        let mut operator = None;
        let (mut token, mut literal) = self.consume(Context::Values);
        if token == Token::DoesNotExist {
            operator = Some(Operator::DoesNotExist);
            (token, literal) = self.consume(Context::Values);
        }
        if token != Token::Identifier {
            return Err(format!("found '{literal}', expected: identifier"));
        }
        let key_errors = label_key_errors(&literal);
        if !key_errors.is_empty() {
            // kube validates the key here with a nil field path, hence "<nil>".
            return Err(invalid("<nil>", &literal, &key_errors));
        }
        let (next, _) = self.lookahead(Context::Values);
        if (next == Token::End || next == Token::Comma) && operator.is_none() {
            operator = Some(Operator::Exists);
        }
        Ok((literal, operator))
    }

    fn parse_operator(&mut self) -> Result<Operator, String> {
        let (token, literal) = self.consume(Context::KeyAndOperator);
        Ok(match token {
            Token::In => Operator::In,
            Token::Equals => Operator::Equals,
            Token::DoubleEquals => Operator::DoubleEquals,
            Token::GreaterThan => Operator::GreaterThan,
            Token::LessThan => Operator::LessThan,
            Token::NotIn => Operator::NotIn,
            Token::NotEquals => Operator::NotEquals,
            _ => {
                return Err(format!(
                    "found '{literal}', expected: in, notin, =, ==, !=, gt, lt"
                ))
            }
        })
    }

    fn parse_values(&mut self) -> Result<Vec<String>, String> {
        let (token, literal) = self.consume(Context::Values);
        if token != Token::OpenPar {
            return Err(format!("found '{literal}' expected: '('"));
        }
        let (token, literal) = self.lookahead(Context::Values);
        match token {
            Token::Identifier | Token::Comma => {
                let values = self.parse_identifiers_list()?;
                let (token, _) = self.consume(Context::Values);
                if token != Token::ClosedPar {
                    // kube reports the token seen before the list here, not the one after it.
                    return Err(format!("found '{literal}', expected: ')'"));
                }
                Ok(values)
            }
            Token::ClosedPar => {
                // `()` is the set holding the empty string.
                self.consume(Context::Values);
                Ok(vec![String::new()])
            }
            _ => Err(format!(
                "found '{literal}', expected: ',', ')' or identifier"
            )),
        }
    }

    /// A comma-separated list of possibly empty identifiers: `(a,,b)` holds "a", "" and "b".
    fn parse_identifiers_list(&mut self) -> Result<Vec<String>, String> {
        let mut values = Vec::new();
        loop {
            let (token, literal) = self.consume(Context::Values);
            match token {
                Token::Identifier => {
                    values.push(literal);
                    let (next, literal) = self.lookahead(Context::Values);
                    match next {
                        Token::Comma => continue,
                        Token::ClosedPar => return Ok(values),
                        _ => return Err(format!("found '{literal}', expected: ',' or ')'")),
                    }
                }
                Token::Comma => {
                    if values.is_empty() {
                        values.push(String::new()); // `(,`
                    }
                    match self.lookahead(Context::Values).0 {
                        Token::ClosedPar => {
                            values.push(String::new()); // `,)`
                            return Ok(values);
                        }
                        Token::Comma => values.push(String::new()), // `,,`
                        _ => {}
                    }
                }
                _ => return Err(format!("found '{literal}', expected: ',', or identifier")),
            }
        }
    }

    fn parse_exact_value(&mut self) -> Result<Vec<String>, String> {
        let (token, _) = self.lookahead(Context::Values);
        if token == Token::End || token == Token::Comma {
            return Ok(vec![String::new()]); // `a=` selects the empty value
        }
        let (token, literal) = self.consume(Context::Values);
        if token == Token::Identifier {
            Ok(vec![literal])
        } else {
            Err(format!("found '{literal}', expected: identifier"))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Label key and value validation (apimachinery `IsQualifiedName`, `IsValidLabelValue`).

const NAME_MAX_LEN: usize = 63;
const SUBDOMAIN_MAX_LEN: usize = 253;
const QUALIFIED_NAME_FMT: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const QUALIFIED_NAME_MSG: &str = "must consist of alphanumeric characters, '-', '_' or '.', \
                                  and must start and end with an alphanumeric character";
const LABEL_VALUE_FMT: &str = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";
const LABEL_VALUE_MSG: &str = "a valid label must be an empty string or consist of alphanumeric \
                               characters, '-', '_' or '.', and must start and end with an \
                               alphanumeric character";
const SUBDOMAIN_FMT: &str = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
const SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case \
                             alphanumeric characters, '-' or '.', and must start and end with \
                             an alphanumeric character";

/// kube's `RegexError`: the message, examples and the regex, worded exactly.
fn regex_error(msg: &str, re: &str, examples: &[&str]) -> String {
    let examples: Vec<String> = examples.iter().map(|e| format!("'{e}', ")).collect();
    format!(
        "{msg} (e.g. {}regex used for validation is '{re}')",
        examples.join(" or ")
    )
}

fn max_len_error(n: usize) -> String {
    format!("must be no more than {n} characters")
}

/// `[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`
fn is_qualified_name_part(s: &str) -> bool {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(first), Some(last)) => {
            first.is_ascii_alphanumeric()
                && last.is_ascii_alphanumeric()
                && b.iter()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        }
        _ => false,
    }
}

/// One RFC 1123 label in lower case: `[a-z0-9]([-a-z0-9]*[a-z0-9])?`
fn is_dns_label(s: &str) -> bool {
    let lower_alnum = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(first), Some(last)) => {
            lower_alnum(first)
                && lower_alnum(last)
                && b.iter().all(|c| lower_alnum(c) || *c == b'-')
        }
        _ => false,
    }
}

fn subdomain_errors(s: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if s.len() > SUBDOMAIN_MAX_LEN {
        errors.push(max_len_error(SUBDOMAIN_MAX_LEN));
    }
    if !s.split('.').all(is_dns_label) {
        errors.push(regex_error(SUBDOMAIN_MSG, SUBDOMAIN_FMT, &["example.com"]));
    }
    errors
}

/// Why `key` is not a valid label key (empty when it is valid).
fn label_key_errors(key: &str) -> Vec<String> {
    let name_regex_error = || {
        regex_error(
            QUALIFIED_NAME_MSG,
            QUALIFIED_NAME_FMT,
            &["MyName", "my.name", "123-abc"],
        )
    };
    let mut errors = Vec::new();
    let parts: Vec<&str> = key.split('/').collect();
    let name = match parts.as_slice() {
        [name] => *name,
        [prefix, name] => {
            if prefix.is_empty() {
                errors.push("prefix part must be non-empty".to_string());
            } else {
                errors.extend(
                    subdomain_errors(prefix)
                        .into_iter()
                        .map(|e| format!("prefix part {e}")),
                );
            }
            *name
        }
        _ => {
            return vec![format!(
                "a qualified name {} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
                name_regex_error()
            )]
        }
    };
    if name.is_empty() {
        errors.push("name part must be non-empty".to_string());
    } else if name.len() > NAME_MAX_LEN {
        errors.push(format!("name part {}", max_len_error(NAME_MAX_LEN)));
    }
    if !is_qualified_name_part(name) {
        errors.push(format!("name part {}", name_regex_error()));
    }
    errors
}

/// Why `value` is not a valid label value (empty when it is valid; "" is valid).
fn label_value_errors(value: &str) -> Vec<String> {
    let mut errors = Vec::new();
    if value.len() > NAME_MAX_LEN {
        errors.push(max_len_error(NAME_MAX_LEN));
    }
    if !value.is_empty() && !is_qualified_name_part(value) {
        errors.push(regex_error(
            LABEL_VALUE_MSG,
            LABEL_VALUE_FMT,
            &["MyValue", "my_value", "12345"],
        ));
    }
    errors
}

/// A `field.Invalid` error as kube prints it: `<path>: Invalid value: "<v>": <details>`.
fn invalid(path: &str, value: &str, details: &[String]) -> String {
    format!("{path}: Invalid value: {value:?}: {}", details.join("; "))
}

/// A Go `[]string` as `%v`-ish `[]string{"a", "b"}` is printed in field errors.
fn go_slice(values: &[String]) -> String {
    let quoted: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
    format!("[]string{{{}}}", quoted.join(", "))
}

/// An error aggregate: one message alone, several in brackets (apimachinery `NewAggregate`).
fn aggregate(mut errors: Vec<String>) -> String {
    errors.dedup();
    if errors.len() == 1 {
        errors.remove(0)
    } else {
        format!("[{}]", errors.join(", "))
    }
}

// ---------------------------------------------------------------------------------------------
// Field selectors.

/// One term of a field selector: a dotted field path, equal or not equal to a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldRequirement {
    /// The dotted path, e.g. `spec.nodeName`.
    pub field: String,
    /// True for `!=`.
    pub not_equal: bool,
    /// The unescaped value.
    pub value: String,
}

/// A field selector: terms that must all hold (AND), e.g. `metadata.name=x,spec.nodeName!=n1`.
///
/// ```
/// use serde_json::json;
/// use tutti::api::selector::FieldSelector;
///
/// let sel = FieldSelector::parse("spec.nodeName=n1,status.phase!=Failed").unwrap();
/// assert!(sel.matches(&json!({"spec": {"nodeName": "n1"}, "status": {"phase": "Running"}})));
/// assert_eq!(sel.required_value("spec.nodeName"), Some("n1"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldSelector {
    requirements: Vec<FieldRequirement>,
}

impl FieldSelector {
    /// Parses the query-string form (apimachinery `fields.ParseSelector`): comma-separated
    /// terms `field=value`, `field==value` or `field!=value`. In values, `\,`, `\=` and `\\`
    /// escape the special characters. Whitespace is significant, as in Kubernetes.
    pub fn parse(s: &str) -> Result<FieldSelector> {
        let mut terms = split_terms(s);
        // kube sorts the terms; it decides which unsupported field is reported first.
        terms.sort_unstable();
        let mut requirements = Vec::new();
        for term in terms.into_iter().filter(|t| !t.is_empty()) {
            let Some((field, op, raw)) = split_term(term) else {
                return Err(SelectorError::FieldTerm {
                    selector: s.to_string(),
                    term: term.to_string(),
                });
            };
            requirements.push(FieldRequirement {
                field: field.to_string(),
                not_equal: op == "!=",
                value: unescape_value(raw)?,
            });
        }
        Ok(FieldSelector { requirements })
    }

    /// Parses and rejects any field not in `allowed`, with kube's message
    /// `field label not supported: <field>` (the API layer answers it as BadRequest).
    pub fn parse_checked(s: &str, allowed: &[&str]) -> Result<FieldSelector> {
        let selector = FieldSelector::parse(s)?;
        if let Some(r) = selector
            .requirements
            .iter()
            .find(|r| !allowed.contains(&r.field.as_str()))
        {
            return Err(SelectorError::FieldNotSupported(r.field.clone()));
        }
        Ok(selector)
    }

    /// Whether the object satisfies every term. Each field is read by its dotted path; a
    /// missing field reads as "", booleans and numbers as their JSON text (`true`, `3`).
    pub fn matches<'a>(&self, obj: impl AsJson<'a>) -> bool {
        let obj = obj.json();
        self.requirements
            .iter()
            .all(|r| (field_value(obj, &r.field) == r.value) != r.not_equal)
    }

    /// The value an `=` (or `==`) term requires of `field`, e.g. `Some("n1")` for
    /// `spec.nodeName=n1`; list and watch use it to look an index up instead of scanning.
    pub fn required_value(&self, field: &str) -> Option<&str> {
        self.requirements
            .iter()
            .find(|r| r.field == field && !r.not_equal)
            .map(|r| r.value.as_str())
    }

    /// True when the selector has no terms and so matches everything.
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    /// The terms, in kube's (sorted) order.
    pub fn requirements(&self) -> &[FieldRequirement] {
        &self.requirements
    }
}

impl fmt::Display for FieldSelector {
    /// The query-string form with values escaped, e.g. `metadata.name=a\,b,spec.nodeName!=n1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.requirements.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            let op = if r.not_equal { "!=" } else { "=" };
            write!(f, "{}{op}{}", r.field, escape_value(&r.value))?;
        }
        Ok(())
    }
}

impl FromStr for FieldSelector {
    type Err = SelectorError;

    fn from_str(s: &str) -> Result<FieldSelector> {
        FieldSelector::parse(s)
    }
}

/// Splits on commas that are not escaped by a backslash (the backslash stays in the term).
fn split_terms(s: &str) -> Vec<&str> {
    if s.is_empty() {
        return Vec::new();
    }
    let mut terms = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == ',' {
            terms.push(&s[start..i]);
            start = i + 1;
        }
    }
    terms.push(&s[start..]);
    terms
}

/// Splits a term at the first operator; at one position `!=` wins over `==` over `=`.
fn split_term(term: &str) -> Option<(&str, &'static str, &str)> {
    for (i, _) in term.char_indices() {
        let rest = &term[i..];
        for op in ["!=", "==", "="] {
            if let Some(value) = rest.strip_prefix(op) {
                return Some((&term[..i], op, value));
            }
        }
    }
    None
}

fn unescape_value(s: &str) -> Result<String> {
    let mut out = String::with_capacity(s.len());
    let mut escaped = false;
    for c in s.chars() {
        if escaped {
            match c {
                '\\' | ',' | '=' => out.push(c),
                other => return Err(SelectorError::EscapeSequence(format!("\\{other}"))),
            }
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            ',' | '=' => return Err(SelectorError::UnescapedCharacter(c as u32)),
            other => out.push(other),
        }
    }
    if escaped {
        return Err(SelectorError::EscapeSequence("\\".to_string()));
    }
    Ok(out)
}

fn escape_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | ',' | '=') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The field at a dotted path as the string a selector compares with.
fn field_value<'a>(obj: impl Json<'a>, path: &str) -> String {
    let mut current = obj;
    for key in path.split('.') {
        match current.get(key) {
            Some(v) => current = v,
            None => return String::new(),
        }
    }
    if let Some(s) = current.as_str() {
        s.to_string()
    } else if let Some(b) = current.as_bool() {
        b.to_string()
    } else if let Some(i) = current.as_i64() {
        i.to_string()
    } else if let Some(u) = current.as_u64() {
        u.to_string()
    } else if let Some(f) = current.as_f64() {
        // As serde_json prints it.
        serde_json::Number::from_f64(f).map_or_else(String::new, |n| n.to_string())
    } else {
        // Objects, lists and null have no selector form; they compare as absent.
        String::new()
    }
}

#[cfg(test)]
mod tests;
