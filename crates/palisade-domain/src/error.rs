//! Validation errors meant for people: each names the field (or line) and the reason.

use serde::Serialize;

/// One invalid field: `field` is the machine name (`code`, `email`, `line 7: type`), `message`
/// says what is wrong in plain words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Several invalid fields found at once, so a form or file can be fixed in one pass.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    /// One invalid field.
    pub fn one(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self(vec![FieldError::new(field, message)])
    }

    pub fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    /// Records the error of `result` (if any) and returns its value.
    pub fn take<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e);
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Reads an optional value (empty text: none), recording what does not parse under `field`.
    pub fn optional<T: std::str::FromStr<Err = String>>(
        &mut self,
        field: &str,
        raw: &str,
    ) -> Option<T> {
        let t = raw.trim();
        if t.is_empty() {
            return None;
        }
        self.take(t.parse::<T>().map_err(|m| FieldError::new(field, m)))
    }

    pub fn into_result(self) -> Result<(), FieldErrors> {
        if self.0.is_empty() { Ok(()) } else { Err(self) }
    }

    pub fn first(&self) -> Option<&FieldError> {
        self.0.first()
    }

    /// At most `max` errors listed one by one; beyond that, one more under `file` says how many
    /// there were in all (`noun` names what had them: "files"). An answer about a hostile
    /// archive of 200,000 bad files stays small.
    pub fn capped(mut self, max: usize, noun: &str) -> FieldErrors {
        let total = self.0.len();
        if total > max {
            self.0.truncate(max);
            self.push(
                "file",
                format!("{total} {noun} in all have errors; the first {max} are listed"),
            );
        }
        self
    }
}

impl From<FieldError> for FieldErrors {
    fn from(e: FieldError) -> Self {
        Self(vec![e])
    }
}

impl std::fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&parts.join("; "))
    }
}

impl std::error::Error for FieldErrors {}

/// Text from elsewhere made fit for a one-line field: whitespace runs (line breaks too) as one
/// space, control characters dropped, and at most `max` characters (the last an ellipsis when
/// it was cut).
pub fn one_line(s: &str, max: usize) -> String {
    let flat: String = s
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    if flat.chars().count() <= max {
        flat
    } else {
        let mut out: String = flat.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// Trims `value` and checks it is between `min` and `max` characters.
pub fn bounded_text(
    field: &str,
    value: &str,
    min: usize,
    max: usize,
) -> Result<String, FieldError> {
    let v = value.trim();
    let n = v.chars().count();
    if n < min {
        return Err(FieldError::new(
            field,
            if min <= 1 {
                "is required".to_string()
            } else {
                format!("must be at least {min} characters")
            },
        ));
    }
    if n > max {
        return Err(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if v.chars().any(|c| c.is_control()) {
        return Err(FieldError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(v.to_string())
}

/// Like [`bounded_text`], but line breaks and tabs are allowed (bodies and steps are paragraphs).
pub fn long_text(field: &str, value: &str, min: usize, max: usize) -> Result<String, FieldError> {
    let flat: String = value
        .chars()
        .map(|c| {
            if matches!(c, '\n' | '\r' | '\t') {
                ' '
            } else {
                c
            }
        })
        .collect();
    bounded_text(field, &flat, min, max)?;
    Ok(value.trim().replace("\r\n", "\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_text_trims_and_checks_edges() {
        assert_eq!(bounded_text("name", "  Ab  ", 1, 2).unwrap(), "Ab");
        assert_eq!(
            bounded_text("name", "   ", 1, 5).unwrap_err().message,
            "is required"
        );
        assert!(bounded_text("name", "abc", 1, 2).is_err());
        assert!(bounded_text("name", "a\u{7}b", 1, 5).is_err());
        assert_eq!(long_text("note", " a\r\nb\tc ", 1, 6).unwrap(), "a\nb\tc");
        assert!(long_text("note", "a\nb\u{7}", 1, 9).is_err());
        assert!(
            long_text("note", "abc\ndef", 1, 6).is_err(),
            "a line break counts as a character"
        );
        assert!(
            bounded_text("name", "ab", 3, 5)
                .unwrap_err()
                .message
                .contains("at least 3")
        );
    }
}
