//! The lexer: turns query text into tokens with byte spans.
//!
//! A term (`field:value`, `importance>=0.5`, `text:"a b"`) is one token: after a field name and
//! its operator the lexer reads a *value*, where keywords and most punctuation have no meaning
//! (`tag:user:alice`, `tag:AND` are plain values). Only whitespace, parentheses and `"` end a bare
//! value. Anything the grammar cannot use becomes a `Stray` token, so the parser, which knows
//! what it expected, writes the error.

use super::ast::CmpOp;
use super::error::{QueryError, QueryErrorKind};
use super::time::describe;

/// A token and where it is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token<'a> {
    pub kind: TokKind<'a>,
    /// Byte offset of the first character.
    pub start: usize,
}

/// What a token is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TokKind<'a> {
    LParen,
    RParen,
    And,
    Or,
    Not,
    Term(RawTerm<'a>),
    /// Text that is none of the above (a bare word, a lone quoted string…).
    Stray(&'a str),
    Eof,
}

/// A term before its field and value are checked.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RawTerm<'a> {
    /// The field name as written.
    pub field: &'a str,
    /// The operator between field and value.
    pub op: RawOp,
    /// Byte offset of the operator.
    pub op_at: usize,
    /// The value, unescaped.
    pub value: String,
    /// Byte offset of the value (of its opening quote when quoted).
    pub value_at: usize,
    /// Quoted value whose text equals its source (no escapes): offsets inside it map back.
    pub verbatim: bool,
    /// Whether the value was quoted.
    pub quoted: bool,
}

impl RawTerm<'_> {
    /// Byte offset in the query of byte `inner` of the value, when that maps back exactly.
    pub fn value_offset(&self, inner: usize) -> usize {
        match (self.quoted, self.verbatim) {
            (false, _) => self.value_at + inner,
            (true, true) => self.value_at + 1 + inner,
            (true, false) => self.value_at,
        }
    }
}

/// The operator of a term.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum RawOp {
    /// `field:value`
    Colon,
    /// `field>=value` or `field:>=value`
    Cmp(CmpOp),
}

/// A cursor over the query text. `pos` is always on a character boundary.
pub(crate) struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

fn ends_bare(c: char) -> bool {
    c.is_whitespace() || matches!(c, '(' | ')' | '"')
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

impl<'a> Lexer<'a> {
    pub fn new(src: &'a str) -> Self {
        Lexer { src, pos: 0 }
    }

    fn rest(&self) -> &'a str {
        self.src.get(self.pos..).unwrap_or("")
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    /// Advances over characters while `f` holds; returns the text passed over.
    fn take_while(&mut self, f: impl Fn(char) -> bool) -> &'a str {
        let rest = self.rest();
        let n = rest.find(|c| !f(c)).unwrap_or(rest.len());
        self.pos += n;
        rest.get(..n).unwrap_or("")
    }

    fn err(&self, at: usize, expected: impl Into<String>, found: impl Into<String>) -> QueryError {
        QueryError::new(QueryErrorKind::Syntax, self.src, at, expected, found)
    }

    /// Describes what is at byte `at` for an error message.
    pub fn found_at(&self, at: usize) -> String {
        match self.src.get(at..).and_then(|r| r.chars().next()) {
            None => "the end of the query".into(),
            Some(c) => format!("{c:?}"),
        }
    }

    /// The next token.
    pub fn next_token(&mut self) -> Result<Token<'a>, QueryError> {
        self.take_while(char::is_whitespace);
        let start = self.pos;
        let kind = match self.peek() {
            None => TokKind::Eof,
            Some('(') => self.single(TokKind::LParen),
            Some(')') => self.single(TokKind::RParen),
            Some('"') => {
                self.quoted()?;
                TokKind::Stray(self.src.get(start..self.pos).unwrap_or(""))
            }
            Some(_) => self.word(start)?,
        };
        Ok(Token { kind, start })
    }

    fn single(&mut self, kind: TokKind<'a>) -> TokKind<'a> {
        self.bump();
        kind
    }

    /// A keyword, a term, or stray text.
    fn word(&mut self, start: usize) -> Result<TokKind<'a>, QueryError> {
        let ident = self.take_while(is_ident);
        let op_at = self.pos;
        if !ident.is_empty() {
            if let Some(op) = self.operator() {
                return self.term(ident, op, op_at);
            }
            if self.peek().is_none_or(ends_bare) {
                match ident.to_ascii_uppercase().as_str() {
                    "AND" => return Ok(TokKind::And),
                    "OR" => return Ok(TokKind::Or),
                    "NOT" => return Ok(TokKind::Not),
                    _ => {}
                }
            }
        }
        self.take_while(|c| !ends_bare(c));
        Ok(TokKind::Stray(self.src.get(start..self.pos).unwrap_or("")))
    }

    /// `:`, `:<op>` or `<op>` after a field name.
    fn operator(&mut self) -> Option<RawOp> {
        let colon = self.rest().starts_with(':');
        if colon {
            self.pos += 1;
        }
        let cmp = [
            ("<=", CmpOp::Le),
            (">=", CmpOp::Ge),
            ("<", CmpOp::Lt),
            (">", CmpOp::Gt),
            ("=", CmpOp::Eq),
        ]
        .into_iter()
        .find(|(s, _)| self.rest().starts_with(s));
        match (colon, cmp) {
            (_, Some((s, op))) => {
                self.pos += s.len();
                Some(RawOp::Cmp(op))
            }
            (true, None) => Some(RawOp::Colon),
            (false, None) => None,
        }
    }

    fn term(&mut self, field: &'a str, op: RawOp, op_at: usize) -> Result<TokKind<'a>, QueryError> {
        let value_at = self.pos;
        let (value, quoted, verbatim) = if self.peek() == Some('"') {
            let v = self.quoted()?;
            let verbatim = self.pos - value_at == v.len() + 2;
            (v, true, verbatim)
        } else {
            let v = self.take_while(|c| !ends_bare(c));
            if v.is_empty() {
                let what = format!(
                    "a value after {:?}",
                    self.src
                        .get(op_at.saturating_sub(field.len())..value_at)
                        .unwrap_or(field)
                );
                return Err(self.err(value_at, what, self.found_at(value_at)));
            }
            (v.to_string(), false, true)
        };
        Ok(TokKind::Term(RawTerm {
            field,
            op,
            op_at,
            value,
            value_at,
            verbatim,
            quoted,
        }))
    }

    /// A quoted string starting at the current `"`; returns its unescaped text.
    fn quoted(&mut self) -> Result<String, QueryError> {
        self.bump();
        let mut out = String::new();
        loop {
            let at = self.pos;
            match self.bump() {
                None => return Err(self.err(at, "a closing '\"'", "the end of the query")),
                Some('"') => return Ok(out),
                Some('\\') => out.push(self.escape(at)?),
                Some(c) => out.push(c),
            }
        }
    }

    /// The character of an escape whose backslash is at `at`.
    fn escape(&mut self, at: usize) -> Result<char, QueryError> {
        let what = r#"an escape: \" \\ \n \t \r or \u{hex}"#;
        match self.bump() {
            Some('"') => Ok('"'),
            Some('\\') => Ok('\\'),
            Some('n') => Ok('\n'),
            Some('t') => Ok('\t'),
            Some('r') => Ok('\r'),
            Some('u') => self.unicode_escape(at),
            Some(c) => Err(self.err(at, what, describe(&format!("\\{c}")))),
            None => Err(self.err(at + 1, what, "the end of the query")),
        }
    }

    /// The rest of `\u{…}`: 1 to 6 hex digits naming a Unicode scalar value.
    fn unicode_escape(&mut self, at: usize) -> Result<char, QueryError> {
        let what = r"\u{…} with 1 to 6 hex digits of a Unicode scalar value";
        if self.bump() != Some('{') {
            return Err(self.err(at, what, self.found_at(at + 2)));
        }
        let hex = self.take_while(|c| c.is_ascii_hexdigit());
        let closed = self.bump() == Some('}');
        let c = u32::from_str_radix(hex, 16).ok().and_then(char::from_u32);
        match c {
            Some(c) if closed && hex.len() <= 6 => Ok(c),
            _ => Err(self.err(at, what, describe(self.src.get(at..self.pos).unwrap_or("")))),
        }
    }
}
