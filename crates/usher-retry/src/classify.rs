//! What a failed call to a provider means for the job: try again, wait
//! without spending an attempt, or give up.

/// The kind of a failure, as [`next`](crate::next) needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    /// A transient failure: spend an attempt and try again later.
    Retry,
    /// Not the job's fault and not worth an attempt: our own rate limit
    /// refused the send, or the provider's daily quota is used up. Try
    /// again once the limit allows, with the attempt count unchanged.
    Defer,
    /// Trying again cannot help: the request is wrong, or our account is.
    /// The job becomes a dead letter at once, for an operator to replay.
    GiveUp,
}

impl Class {
    /// The name used in `tests/vectors/retry.json` and across the wasm
    /// facade: `retry`, `defer` or `give_up`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Class::Retry => "retry",
            Class::Defer => "defer",
            Class::GiveUp => "give_up",
        }
    }

    /// The class named by [`Class::as_str`], if any.
    pub fn from_name(name: &str) -> Option<Self> {
        [Class::Retry, Class::Defer, Class::GiveUp]
            .into_iter()
            .find(|c| c.as_str() == name)
    }
}

/// Classifies one failed call from its HTTP status (`None` when there was
/// no response: a refused or dropped connection, or a timeout) and the error
/// `name` of the provider's body, which is how Resend tells apart errors
/// that share a status.
///
/// | status | `name` | class |
/// | --- | --- | --- |
/// | none (transport failure, timeout) | | `Retry` |
/// | 408 | any | `Retry` |
/// | 409 | `concurrent_idempotent_requests` | `Retry` |
/// | 409 | anything else, `invalid_idempotent_request` included | `GiveUp` |
/// | 429 | `daily_quota_exceeded` | `Defer` |
/// | 429 | `monthly_quota_exceeded` | `GiveUp` |
/// | 429 | anything else, `rate_limit_exceeded` included | `Retry` |
/// | 400–499 otherwise (400, 401, 403, 404, 422, …) | any | `GiveUp` |
/// | 500–599 | any | `Retry` |
/// | anything else | any | `GiveUp` |
///
/// The rule behind the table: a 4xx is the request's fault and is given up,
/// except the three a later try can cure (a timeout, a key still in flight,
/// a rate limit); a 5xx or no answer at all is the provider's, and is
/// retried. Retrying is safe because every send carries an idempotency key.
///
/// Resend's daily quota clears within 24 hours, so it defers. Its monthly
/// quota clears only when the month turns or the plan is upgraded: deferring
/// would keep every e-mail pending and probing for up to a month, so it gives
/// up, and an operator replays the dead letters once the plan allows. A
/// status that is not an error (below 400, or not HTTP at all) is given up
/// too: it means the caller misread a response, and blind retries would hide
/// that.
///
/// Our own rate limiter's refusal is not an HTTP answer; callers use
/// [`Class::Defer`] for it directly.
pub fn classify(status: Option<u16>, name: Option<&str>) -> Class {
    let Some(status) = status else {
        return Class::Retry;
    };
    match (status, name) {
        (408, _) => Class::Retry,
        (409, Some("concurrent_idempotent_requests")) => Class::Retry,
        (429, Some("daily_quota_exceeded")) => Class::Defer,
        (429, Some("monthly_quota_exceeded")) => Class::GiveUp,
        (429, _) => Class::Retry,
        (500..=599, _) => Class::Retry,
        _ => Class::GiveUp,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    // The same tests run on wasm under `wasm-pack test --node`.
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn names_round_trip() {
        for c in [Class::Retry, Class::Defer, Class::GiveUp] {
            assert_eq!(Class::from_name(c.as_str()), Some(c));
        }
        assert_eq!(Class::from_name("Retry"), None);
    }

    #[test]
    fn a_name_only_matters_for_its_own_status() {
        assert_eq!(
            classify(Some(500), Some("monthly_quota_exceeded")),
            Class::Retry
        );
        assert_eq!(
            classify(Some(422), Some("concurrent_idempotent_requests")),
            Class::GiveUp
        );
        assert_eq!(classify(None, Some("validation_error")), Class::Retry);
    }
}
