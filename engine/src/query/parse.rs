//! The recursive-descent parser.
//!
//! Grammar (EBNF; keywords case-insensitive, whitespace between tokens ignored):
//!
//! ```text
//! query      = or_expr , EOF ;
//! or_expr    = and_expr , { "OR" , and_expr } ;
//! and_expr   = unary , { "AND" , unary } ;
//! unary      = "NOT" , unary | primary ;
//! primary    = "(" , or_expr , ")" | term ;
//! term       = time_field , ":" , time_value
//!            | ( "pinned" | "archived" ) , ":" , ( "true" | "false" )
//!            | ( "tag" | "user" | "session" | "agent" | "kind" | "type" ) , ":" , value
//!            | "tier" , ":" , ( "working" | "short_term" | "long_term" )
//!            | "importance" , ( cmp | ":" , [ cmp ] ) , number
//!            | "text" , ":" , value
//!            | "id" , ":" , digits ;
//! time_field = ( "created" | "updated" | "accessed" ) , ( "_before" | "_after" ) ;
//! time_value = date | date , ( "T" | " " ) , hh:mm:ss , [ "." , frac ] , ( "Z" | ("+"|"-") , hh:mm )
//!            | digits , ( "s" | "m" | "h" | "d" | "w" )        (* age: now minus *)
//!            | "@" , digits ;                                 (* µs since the epoch *)
//! date       = yyyy , "-" , mm , "-" , dd ;
//! cmp        = "<=" | ">=" | "<" | ">" | "=" ;
//! number     = [ "+" | "-" ] , ( digits , [ "." , { digit } ] | "." , digits ) ,
//!              [ ( "e" | "E" ) , [ "+" | "-" ] , digits ] ;
//! value      = bare | quoted ;                  (* typed fields accept both forms too *)
//! bare       = bare_char , { bare_char } ;     (* any char but whitespace, "(", ")", '"' *)
//! quoted     = '"' , { char - ( '"' | "\" ) | escape } , '"' ;
//! escape     = "\" , ( '"' | "\" | "n" | "t" | "r" | "u{" , hex{1..6} , "}" ) ;
//! ```
//!
//! Precedence: `NOT` > `AND` > `OR`. There is no implicit `AND`: two terms side by side are an
//! error. Field names are case-insensitive; values are case-sensitive except `true`/`false` and
//! tier names. Limits: [`super::MAX_QUERY_BYTES`] of text and [`super::MAX_NESTING`] levels of
//! parentheses and `NOT`s, so a hostile query fails with a typed error instead of exhausting the
//! stack.

use super::ast::{CmpOp, Expr, Flag, Label, Pred, Side, Tier, TimeField};
use super::error::{QueryError, QueryErrorKind};
use super::lex::{Lexer, RawOp, RawTerm, TokKind, Token};
use super::time::{self, describe};
use super::{MAX_NESTING, MAX_QUERY_BYTES};

/// Parses a DSL query into an [`Expr`]. Never reads the clock: ages stay symbolic.
pub fn parse(query: &str) -> Result<Expr, QueryError> {
    if query.len() > MAX_QUERY_BYTES {
        return Err(QueryError::new(
            QueryErrorKind::TooLong,
            query,
            MAX_QUERY_BYTES,
            format!("a query of at most {MAX_QUERY_BYTES} bytes"),
            format!("{} bytes", query.len()),
        ));
    }
    let mut p = Parser {
        src: query,
        lex: Lexer::new(query),
        peeked: None,
        depth: 0,
    };
    let e = p.or_expr()?;
    let t = p.next()?;
    match t.kind {
        TokKind::Eof => Ok(e),
        _ => Err(p.unexpected(&t, "AND, OR or the end of the query")),
    }
}

/// Every field name, for error messages.
const FIELDS: &str = "a field (created_before/after, updated_before/after, accessed_before/after, \
     pinned, archived, tag, user, session, agent, kind, type, tier, importance, text, id)";

struct Parser<'a> {
    src: &'a str,
    lex: Lexer<'a>,
    peeked: Option<Token<'a>>,
    /// Current nesting of parentheses and `NOT`s.
    depth: usize,
}

impl<'a> Parser<'a> {
    fn next(&mut self) -> Result<Token<'a>, QueryError> {
        match self.peeked.take() {
            Some(t) => Ok(t),
            None => self.lex.next_token(),
        }
    }

    fn peek(&mut self) -> Result<&Token<'a>, QueryError> {
        let t = match self.peeked.take() {
            Some(t) => t,
            None => self.lex.next_token()?,
        };
        Ok(self.peeked.insert(t))
    }

    /// Consumes the next token if `want(kind)`.
    fn eat(&mut self, want: fn(&TokKind<'a>) -> bool) -> Result<bool, QueryError> {
        let hit = want(&self.peek()?.kind);
        if hit {
            self.peeked = None;
        }
        Ok(hit)
    }

    fn or_expr(&mut self) -> Result<Expr, QueryError> {
        let mut v = vec![self.and_expr()?];
        while self.eat(|k| matches!(k, TokKind::Or))? {
            v.push(self.and_expr()?);
        }
        Ok(single_or(v, Expr::Or))
    }

    fn and_expr(&mut self) -> Result<Expr, QueryError> {
        let mut v = vec![self.unary()?];
        while self.eat(|k| matches!(k, TokKind::And))? {
            v.push(self.unary()?);
        }
        Ok(single_or(v, Expr::And))
    }

    fn unary(&mut self) -> Result<Expr, QueryError> {
        let t = self.next()?;
        match t.kind {
            TokKind::Not => {
                self.enter(&t)?;
                let inner = self.unary()?;
                self.depth -= 1;
                Ok(Expr::Not(Box::new(inner)))
            }
            TokKind::LParen => self.group(&t),
            TokKind::Term(raw) => Ok(Expr::Pred(self.pred(&raw)?)),
            _ => Err(self.unexpected(&t, "a field, NOT or '('")),
        }
    }

    /// A parenthesised expression; `open` is its `(`.
    fn group(&mut self, open: &Token<'a>) -> Result<Expr, QueryError> {
        self.enter(open)?;
        let e = self.or_expr()?;
        let t = self.next()?;
        if t.kind != TokKind::RParen {
            let col = self.src.get(..open.start).map_or(0, |s| s.chars().count()) + 1;
            let what = format!("AND, OR or ')' to close the '(' at column {col}");
            return Err(self.unexpected(&t, &what));
        }
        self.depth -= 1;
        Ok(e)
    }

    fn enter(&mut self, t: &Token<'a>) -> Result<(), QueryError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(QueryError::new(
                QueryErrorKind::TooDeep,
                self.src,
                t.start,
                format!("at most {MAX_NESTING} levels of parentheses and NOT"),
                format!("level {}", self.depth),
            ));
        }
        Ok(())
    }

    fn unexpected(&self, t: &Token<'a>, expected: &str) -> QueryError {
        let found = match &t.kind {
            TokKind::Eof => "the end of the query".to_string(),
            TokKind::LParen => "'('".into(),
            TokKind::RParen => "')'".into(),
            TokKind::And => "AND".into(),
            TokKind::Or => "OR".into(),
            TokKind::Not => "NOT".into(),
            TokKind::Term(_) => format!("the term starting {}", self.excerpt(t.start)),
            TokKind::Stray(s) => describe(s),
        };
        QueryError::new(QueryErrorKind::Syntax, self.src, t.start, expected, found)
    }

    fn excerpt(&self, at: usize) -> String {
        let rest = self.src.get(at..).unwrap_or("");
        describe(rest.split(char::is_whitespace).next().unwrap_or(rest))
    }

    /// Checks a term's field, operator and value.
    fn pred(&self, raw: &RawTerm<'a>) -> Result<Pred, QueryError> {
        let field = raw.field.to_ascii_lowercase();
        if field == "importance" {
            return self.importance(raw);
        }
        let field_at = raw.op_at.saturating_sub(raw.field.len());
        let kind = field_kind(&field).ok_or_else(|| {
            QueryError::new(
                QueryErrorKind::Syntax,
                self.src,
                field_at,
                FIELDS,
                describe(raw.field),
            )
        })?;
        if let RawOp::Cmp(op) = raw.op {
            let what = format!("':' after {field} (comparisons are for importance)");
            let found = format!("{:?}", op.as_str());
            return Err(QueryError::new(
                QueryErrorKind::Syntax,
                self.src,
                raw.op_at,
                what,
                found,
            ));
        }
        self.typed_value(kind, raw)
    }

    fn typed_value(&self, kind: FieldKind, raw: &RawTerm<'a>) -> Result<Pred, QueryError> {
        let v = raw.value.as_str();
        match kind {
            FieldKind::Time(field, side) => {
                let at = time::parse(v).map_err(|(off, exp, found)| {
                    let pos = raw.value_offset(off);
                    QueryError::new(QueryErrorKind::InvalidValue, self.src, pos, exp, found)
                })?;
                Ok(Pred::Time { field, side, at })
            }
            FieldKind::Flag(flag) => match v.to_ascii_lowercase().as_str() {
                "true" => Ok(Pred::Flag { flag, value: true }),
                "false" => Ok(Pred::Flag { flag, value: false }),
                _ => Err(self.bad_value(raw, "true or false")),
            },
            FieldKind::Label(label) => Ok(Pred::Label {
                label,
                value: raw.value.clone(),
            }),
            FieldKind::Tier => Tier::from_name(v)
                .map(Pred::Tier)
                .ok_or_else(|| self.bad_value(raw, "working, short_term or long_term")),
            FieldKind::Text => Ok(Pred::Text(raw.value.clone())),
            FieldKind::Id => v
                .bytes()
                .all(|c| c.is_ascii_digit())
                .then(|| v.parse().ok())
                .flatten()
                .map(Pred::Id)
                .ok_or_else(|| self.bad_value(raw, "a memory id (a decimal number below 2^64)")),
        }
    }

    fn importance(&self, raw: &RawTerm<'a>) -> Result<Pred, QueryError> {
        let op = match raw.op {
            RawOp::Colon => CmpOp::Eq,
            RawOp::Cmp(op) => op,
        };
        let value = parse_number(&raw.value)
            .ok_or_else(|| self.bad_value(raw, "a finite decimal number such as 0.5"))?;
        Ok(Pred::Importance { op, value })
    }

    fn bad_value(&self, raw: &RawTerm<'a>, expected: &str) -> QueryError {
        let (pos, found) = (raw.value_at, describe(&raw.value));
        QueryError::new(QueryErrorKind::InvalidValue, self.src, pos, expected, found)
    }
}

/// One operand stays itself; several become `wrap(operands)`.
fn single_or(mut v: Vec<Expr>, wrap: fn(Vec<Expr>) -> Expr) -> Expr {
    match v.pop() {
        Some(e) if v.is_empty() => e,
        Some(e) => {
            v.push(e);
            wrap(v)
        }
        None => wrap(v),
    }
}

/// The field names other than `importance`.
#[derive(Clone, Copy)]
enum FieldKind {
    Time(TimeField, Side),
    Flag(Flag),
    Label(Label),
    Tier,
    Text,
    Id,
}

fn field_kind(name: &str) -> Option<FieldKind> {
    use FieldKind as F;
    let time = |stem: &str| match stem {
        "created" => Some(TimeField::Created),
        "updated" => Some(TimeField::Updated),
        "accessed" => Some(TimeField::Accessed),
        _ => None,
    };
    if let Some(stem) = name.strip_suffix("_before") {
        return time(stem).map(|f| F::Time(f, Side::Before));
    }
    if let Some(stem) = name.strip_suffix("_after") {
        return time(stem).map(|f| F::Time(f, Side::After));
    }
    Some(match name {
        "pinned" => F::Flag(Flag::Pinned),
        "archived" => F::Flag(Flag::Archived),
        "tag" => F::Label(Label::Tag),
        "user" => F::Label(Label::User),
        "session" => F::Label(Label::Session),
        "agent" => F::Label(Label::Agent),
        "kind" | "type" => F::Label(Label::Kind),
        "tier" => F::Tier,
        "text" => F::Text,
        "id" => F::Id,
        _ => return None,
    })
}

/// A finite decimal number (the `number` rule). Checked by hand first because `f32::from_str`
/// also takes `inf` and `NaN`.
fn parse_number(s: &str) -> Option<f32> {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let count = |from: usize| {
        b.iter()
            .skip(from)
            .take_while(|c| c.is_ascii_digit())
            .count()
    };
    let int = count(i);
    i += int;
    let mut frac = 0;
    if b.get(i) == Some(&b'.') {
        frac = count(i + 1);
        i += 1 + frac;
    }
    if int + frac == 0 {
        return None;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1 + usize::from(matches!(b.get(i + 1), Some(b'+' | b'-')));
        let exp = count(i);
        if exp == 0 {
            return None;
        }
        i += exp;
    }
    if i != b.len() {
        return None;
    }
    s.parse::<f32>().ok().filter(|v| v.is_finite())
}
