//! The scanner: the parser asks for what it expects next (a field name, an operator, a
//! value…), because a bare value (`/usr/bin/curl`, `a=b`) and a field name are not made of
//! the same characters.

use crate::ast::{CompareOp, SetOp};
use crate::error::{quoted, ParseError};

/// What may follow a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operator {
    Compare(CompareOp),
    Set(SetOp),
    Exists,
}

/// A value as written: its text (unquoted, unescaped) and whether it was quoted.
pub(crate) struct Literal {
    pub text: String,
    pub quoted: bool,
    /// Byte offset of its first character (the quote, when quoted).
    pub start: usize,
}

/// A position in the source, moved forward by the parser's requests.
pub(crate) struct Lexer<'s> {
    src: &'s str,
    pos: usize,
    /// End of the last token consumed (before any whitespace skipped after it).
    last_end: usize,
}

/// Longest text shown in a "found" message.
const FOUND_MAX_CHARS: usize = 32;

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

/// Where a bare value ends.
fn ends_bare(c: char) -> bool {
    c.is_whitespace() || matches!(c, ')' | ',')
}

impl<'s> Lexer<'s> {
    pub fn new(src: &'s str) -> Self {
        Lexer {
            src,
            pos: 0,
            last_end: 0,
        }
    }

    pub fn src(&self) -> &'s str {
        self.src
    }

    pub fn pos(&self) -> usize {
        self.pos
    }

    pub fn last_end(&self) -> usize {
        self.last_end
    }

    fn rest(&self) -> &'s str {
        &self.src[self.pos..]
    }

    pub fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn advance(&mut self, bytes: usize) {
        self.pos += bytes;
        self.last_end = self.pos;
    }

    pub fn skip_ws(&mut self) {
        let rest = self.rest();
        self.pos += rest.len() - rest.trim_start().len();
    }

    /// Consumes `c` when it comes next.
    pub fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.advance(c.len_utf8());
            true
        } else {
            false
        }
    }

    /// The run of identifier characters at the cursor, not consumed.
    pub fn peek_word(&self) -> &'s str {
        let rest = self.rest();
        let len = rest.find(|c| !is_ident_char(c)).unwrap_or(rest.len());
        &rest[..len]
    }

    /// Consumes `word` when the next word is exactly it (a keyword).
    pub fn eat_keyword(&mut self, word: &str) -> bool {
        if self.peek_word() == word {
            self.advance(word.len());
            true
        } else {
            false
        }
    }

    /// A field name, `[A-Za-z_][A-Za-z0-9_.-]*`.
    pub fn ident(&mut self) -> Option<&'s str> {
        if !self.peek().is_some_and(is_ident_start) {
            return None;
        }
        let word = self.peek_word();
        self.advance(word.len());
        Some(word)
    }

    /// The inside of `[…]`, the `[` already consumed.
    pub fn bracket_arg(&mut self) -> Result<&'s str, ParseError> {
        let rest = self.rest();
        match rest.find(']') {
            Some(0) => Err(self.error("a field argument", self.pos)),
            Some(len) => {
                self.advance(len + 1);
                Ok(&rest[..len])
            }
            None => Err(self.error("`]`", self.src.len())),
        }
    }

    /// An operator, consumed; `None` (nothing consumed) when none comes next.
    pub fn operator(&mut self) -> Option<Operator> {
        let rest = self.rest();
        let symbols = [
            ("==", CompareOp::Eq),
            ("=", CompareOp::Eq),
            ("!=", CompareOp::Ne),
            ("<=", CompareOp::Le),
            ("<", CompareOp::Lt),
            (">=", CompareOp::Ge),
            (">", CompareOp::Gt),
        ];
        for (symbol, op) in symbols {
            if rest.starts_with(symbol) {
                self.advance(symbol.len());
                return Some(Operator::Compare(op));
            }
        }
        let word = self.peek_word();
        let op = match word {
            "exists" => Operator::Exists,
            "in" => Operator::Set(SetOp::In),
            "intersects" => Operator::Set(SetOp::Intersects),
            "pmatch" => Operator::Set(SetOp::Pmatch),
            _ => Operator::Compare(
                CompareOp::ALL
                    .into_iter()
                    .find(|op| !op.is_comparison() && op.as_str() == word)?,
            ),
        };
        self.advance(word.len());
        Some(op)
    }

    /// A value: quoted (`"…"` or `'…'`, with backslash escapes) or bare (up to whitespace,
    /// `)` or `,`). `Ok(None)`, nothing consumed, when none comes next.
    pub fn value(&mut self) -> Result<Option<Literal>, ParseError> {
        let start = self.pos;
        match self.peek() {
            None | Some('(' | ')' | ',') => Ok(None),
            Some(quote @ ('"' | '\'')) => self.quoted(quote).map(Some),
            Some(_) => {
                let rest = self.rest();
                let len = rest.find(ends_bare).unwrap_or(rest.len());
                self.advance(len);
                Ok(Some(Literal {
                    text: rest[..len].to_owned(),
                    quoted: false,
                    start,
                }))
            }
        }
    }

    /// A quoted string; escapes: `\\`, `\"`, `\'`, `\n`, `\r`, `\t`. Any other backslash is
    /// kept with the character after it, so `"^docker\.io"` is the regex `^docker\.io`.
    fn quoted(&mut self, quote: char) -> Result<Literal, ParseError> {
        let start = self.pos;
        let mut text = String::new();
        let mut chars = self.rest().char_indices().skip(1);
        while let Some((i, c)) = chars.next() {
            match c {
                c if c == quote => {
                    self.advance(i + c.len_utf8());
                    return Ok(Literal {
                        text,
                        quoted: true,
                        start,
                    });
                }
                '\\' => match chars.next() {
                    Some((_, e @ ('\\' | '"' | '\''))) => text.push(e),
                    Some((_, 'n')) => text.push('\n'),
                    Some((_, 'r')) => text.push('\r'),
                    Some((_, 't')) => text.push('\t'),
                    Some((_, other)) => {
                        text.push('\\');
                        text.push(other);
                    }
                    None => break,
                },
                c => text.push(c),
            }
        }
        Err(ParseError::at(
            self.src,
            self.src.len(),
            format!("a closing {}", quoted(quote.encode_utf8(&mut [0; 4]))),
            "end of input",
        ))
    }

    /// An error at byte offset `pos`: what is found there is described from the source.
    pub fn error(&self, expected: impl Into<String>, pos: usize) -> ParseError {
        ParseError::at(self.src, pos, expected, self.describe(pos))
    }

    /// "end of input", or the token at `pos` in backticks (shortened when long).
    pub fn describe(&self, pos: usize) -> String {
        let rest = &self.src[pos..];
        let Some(first) = rest.chars().next() else {
            return "end of input".to_owned();
        };
        let token = if matches!(first, '(' | ')' | ',' | '[' | ']') {
            &rest[..1]
        } else {
            let len = rest
                .find(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | ','))
                .unwrap_or(rest.len());
            &rest[..len.max(first.len_utf8())]
        };
        match token.char_indices().nth(FOUND_MAX_CHARS) {
            Some((cut, _)) => quoted(&format!("{}…", &token[..cut])),
            None => quoted(token),
        }
    }
}
