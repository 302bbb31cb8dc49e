//! Survey answers: scores 1–5 (SPEC §6).

use kuaidi_shared::ApiError;
use serde_json::Value;

use super::fields::Fields;

#[derive(Debug, Clone, PartialEq)]
pub struct Answers {
    pub overall: i16,
    pub speed: Option<i16>,
    pub effectiveness: Option<i16>,
    pub attitude: Option<i16>,
    pub suggestion: Option<String>,
}

impl Answers {
    /// Every score outside 1–5 and a missing `overall` are reported at once.
    pub fn parse(body: Value) -> Result<Self, ApiError> {
        let mut f = Fields::new(body);
        let overall = f.score("overall", true);
        let speed = f.score("speed", false);
        let effectiveness = f.score("effectiveness", false);
        let attitude = f.score("attitude", false);
        let suggestion = f.text("suggestion", false);
        match overall {
            Some(overall) if f.ok() => Ok(Self {
                overall,
                speed,
                effectiveness,
                attitude,
                suggestion,
            }),
            _ => Err(ApiError::Validation(f.errors)),
        }
    }

    /// The questions a survey asks (what the link page shows).
    pub const QUESTIONS: [(&'static str, &'static str); 5] = [
        (
            "overall",
            "Overall, how satisfied are you with how your case was handled? (1–5)",
        ),
        ("speed", "How satisfied are you with the speed? (1–5)"),
        (
            "effectiveness",
            "How well did the solution fix the problem? (1–5)",
        ),
        ("attitude", "How was the attitude of our staff? (1–5)"),
        ("suggestion", "Anything we should do better?"),
    ];
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scores_outside_one_to_five_are_each_refused() {
        match Answers::parse(json!({"overall": 0, "speed": 6, "attitude": 2.5})) {
            Err(ApiError::Validation(e)) => assert_eq!(
                e.into_iter().map(|e| e.field).collect::<Vec<_>>(),
                vec!["overall", "speed", "attitude"]
            ),
            other => panic!("expected 422, got {other:?}"),
        }
    }

    #[test]
    fn only_overall_is_required() {
        let a = Answers::parse(json!({"overall": 5})).expect("valid");
        assert_eq!(a.overall, 5);
        assert_eq!(a.speed, None);
    }
}
