//! Faults chosen per run (`--faults`) or switched at runtime, and the seeded dice that apply them.
//!
//! Probabilities are per request (gateway faults) or per push (push faults); `1.0` makes a
//! fault certain, which is how tests exercise each one deterministically.

use rand::{rngs::StdRng, Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use std::sync::Mutex;
use std::time::Duration;

use crate::error::{Result, SandboxError};

/// The faults in force. `Faults::default()` is a healthy platform.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    /// Drop every open long connection without a close frame at this interval (`drop=10s`).
    pub drop_every_ms: Option<u64>,
    /// Delay each push by this long (`delay=200ms`).
    pub push_delay_ms: u64,
    /// Probability that a push is sent twice (`dup=0.1`).
    pub duplicate: f64,
    /// Probability that a push is held back and sent after the next one (`reorder=0.1`).
    pub reorder: f64,
    /// Probability of HTTP 500 with a plain-text body (`500=0.05`).
    pub http_500: f64,
    /// Probability of HTTP 503 with a JSON body (`503=0.05`).
    pub http_503: f64,
    /// Probability that a response is held for `timeout_hold_ms` after the call took effect (`timeout=0.05`).
    pub timeout: f64,
    /// How long a timed-out response is held; longer than a client's read timeout (default 8000).
    pub timeout_hold_ms: Option<u64>,
    /// Probability of an `OP_RATE_LIMITED` envelope (`ratelimit=0.05`).
    pub rate_limit: f64,
    /// Probability that a store-scoped call answers `OP_AUTH_TOKEN_EXPIRED` (`expired=0.05`).
    pub token_expired: f64,
    /// Rotate imSecret at this interval (`rotate=60s`); rotation also ends connections and tokens.
    pub rotate_secret_every_ms: Option<u64>,
    /// APIs this platform does not serve, by the last segment of their path: they answer
    /// HTTP 404 as an unknown path does (`missing=getConnectionTokenWithCount`; repeat the
    /// item for several). For the fallbacks a client keeps for an API it cannot rely on.
    pub missing: Vec<String>,
    /// APIs whose connection tokens the push service refuses, by name as in `missing`: the
    /// API grants them, but the WebSocket upgrade answers HTTP 403
    /// (`refuse=getConnectionTokenWithCount`; repeat for several). For a client's fallback
    /// when the platform does not take one API's tokens (or the connectionId it derived).
    pub refuse_upgrade: Vec<String>,
}

/// Default hold for the timeout fault: past the SDK's 5-second read timeout.
pub const DEFAULT_TIMEOUT_HOLD_MS: u64 = 8_000;

impl Faults {
    /// Parses a comma-separated list such as `5xx=0.1,timeout,drop=10s,delay=200ms`.
    ///
    /// Names: `drop`, `delay`, `dup`, `reorder`, `500`, `503`, `5xx` (half 500, half 503),
    /// `timeout`, `hold` (timeout hold), `ratelimit`, `expired`, `rotate`, `missing` and
    /// `refuse` (an API name). A probability may be
    /// left out (0.05); a duration may be `ms`, `s` or `m` (defaults: drop 30s, delay 200ms,
    /// rotate 60s).
    pub fn parse(list: &str) -> Result<Faults> {
        let mut f = Faults::default();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (name, value) = match item.split_once('=') {
                Some((n, v)) => (n.trim(), Some(v.trim())),
                None => (item, None),
            };
            let p = || prob(value);
            match name {
                "drop" => f.drop_every_ms = Some(dur(value, 30_000)?),
                "delay" => f.push_delay_ms = dur(value, 200)?,
                "dup" => f.duplicate = p()?,
                "reorder" => f.reorder = p()?,
                "500" => f.http_500 = p()?,
                "503" => f.http_503 = p()?,
                "5xx" => {
                    let v = p()?;
                    f.http_500 = v / 2.0;
                    f.http_503 = v / 2.0;
                }
                "timeout" => f.timeout = p()?,
                "hold" => f.timeout_hold_ms = Some(dur(value, DEFAULT_TIMEOUT_HOLD_MS)?),
                "ratelimit" => f.rate_limit = p()?,
                "expired" => f.token_expired = p()?,
                "rotate" => f.rotate_secret_every_ms = Some(dur(value, 60_000)?),
                "missing" => match value {
                    Some(api) if !api.is_empty() => f.missing.push(api.to_owned()),
                    _ => {
                        return Err(SandboxError::Invalid(
                            "`missing` needs an API name, as in missing=getConnectionToken".into(),
                        ))
                    }
                },
                "refuse" => {
                    match value {
                        Some(api) if !api.is_empty() => f.refuse_upgrade.push(api.to_owned()),
                        _ => return Err(SandboxError::Invalid(
                            "`refuse` needs an API name, as in refuse=getConnectionTokenWithCount"
                                .into(),
                        )),
                    }
                }
                other => return Err(SandboxError::Invalid(format!("unknown fault `{other}`"))),
            }
        }
        Ok(f)
    }

    /// The hold of the timeout fault.
    pub fn timeout_hold(&self) -> Duration {
        Duration::from_millis(self.timeout_hold_ms.unwrap_or(DEFAULT_TIMEOUT_HOLD_MS))
    }
}

fn prob(value: Option<&str>) -> Result<f64> {
    let Some(v) = value else { return Ok(0.05) };
    match v.parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err(SandboxError::Invalid(format!(
            "probability `{v}` is not in 0..=1"
        ))),
    }
}

fn dur(value: Option<&str>, default_ms: u64) -> Result<u64> {
    let Some(v) = value else {
        return Ok(default_ms);
    };
    let bad = || SandboxError::Invalid(format!("duration `{v}` is not like 200ms, 5s or 2m"));
    let (num, mult) = if let Some(n) = v.strip_suffix("ms") {
        (n, 1)
    } else if let Some(n) = v.strip_suffix('s') {
        (n, 1_000)
    } else if let Some(n) = v.strip_suffix('m') {
        (n, 60_000)
    } else {
        (v, 1)
    };
    num.parse::<u64>().map(|n| n * mult).map_err(|_| bad())
}

/// What the dice chose for one gateway request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GatewayFault {
    Http500,
    Http503,
    RateLimited,
}

/// Per-request decisions that change how a call is answered but not whether it runs.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct RequestFaults {
    pub hold: Option<Duration>,
    pub token_expired: bool,
    /// The faults take this request's API away (`missing`).
    pub api_missing: bool,
}

/// Per-push decisions.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct PushFaults {
    pub delay: Option<Duration>,
    pub duplicate: bool,
    pub reorder: bool,
}

/// The faults in force plus the seeded RNG that rolls them.
#[derive(Debug)]
pub(crate) struct FaultDice {
    inner: Mutex<(Faults, StdRng)>,
}

impl FaultDice {
    pub fn new(faults: Faults, seed: u64) -> Self {
        Self {
            inner: Mutex::new((faults, StdRng::seed_from_u64(seed ^ 0xFA17))),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (Faults, StdRng)> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn get(&self) -> Faults {
        self.lock().0.clone()
    }

    pub fn set(&self, faults: Faults) {
        self.lock().0 = faults;
    }

    /// A fault that replaces the whole answer, rolled before the request is looked at.
    pub fn roll_gateway(&self) -> Option<GatewayFault> {
        let mut g = self.lock();
        let (f, rng) = &mut *g;
        let (a, b, c) = (f.http_500, f.http_503, f.rate_limit);
        if hit(rng, a) {
            Some(GatewayFault::Http500)
        } else if hit(rng, b) {
            Some(GatewayFault::Http503)
        } else if hit(rng, c) {
            Some(GatewayFault::RateLimited)
        } else {
            None
        }
    }

    /// The faults for one request to `path`.
    pub fn roll_request(&self, path: &str) -> RequestFaults {
        let mut g = self.lock();
        let (f, rng) = &mut *g;
        let hold = f.timeout_hold();
        let (t, e) = (f.timeout, f.token_expired);
        let api = path.rsplit('/').next().unwrap_or(path);
        RequestFaults {
            hold: hit(rng, t).then_some(hold),
            token_expired: hit(rng, e),
            api_missing: f.missing.iter().any(|m| m == api),
        }
    }

    /// Whether the push service refuses the sockets of tokens `api` granted.
    pub fn refuses_upgrade(&self, api: &str) -> bool {
        self.lock().0.refuse_upgrade.iter().any(|r| r == api)
    }

    pub fn roll_push(&self) -> PushFaults {
        let mut g = self.lock();
        let (f, rng) = &mut *g;
        let delay = (f.push_delay_ms > 0).then(|| Duration::from_millis(f.push_delay_ms));
        let (d, r) = (f.duplicate, f.reorder);
        PushFaults {
            delay,
            duplicate: hit(rng, d),
            reorder: hit(rng, r),
        }
    }
}

fn hit(rng: &mut StdRng, p: f64) -> bool {
    p > 0.0 && (p >= 1.0 || rng.random::<f64>() < p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_name() {
        let f = Faults::parse(
            "drop=10s,delay=150ms,dup=0.2,reorder,5xx=0.5,timeout=1,hold=2s,ratelimit=0.1,expired,rotate=1m,missing=a,missing=b,refuse=c",
        )
        .unwrap();
        assert_eq!(f.missing, ["a", "b"]);
        assert_eq!(f.refuse_upgrade, ["c"]);
        assert!(Faults::parse("missing").is_err());
        assert!(Faults::parse("refuse=").is_err());
        assert_eq!(f.drop_every_ms, Some(10_000));
        assert_eq!(f.push_delay_ms, 150);
        assert_eq!(f.duplicate, 0.2);
        assert_eq!(f.reorder, 0.05);
        assert_eq!((f.http_500, f.http_503), (0.25, 0.25));
        assert_eq!(f.timeout, 1.0);
        assert_eq!(f.timeout_hold(), Duration::from_secs(2));
        assert_eq!(f.rate_limit, 0.1);
        assert_eq!(f.token_expired, 0.05);
        assert_eq!(f.rotate_secret_every_ms, Some(60_000));
        assert!(Faults::parse("bogus").is_err());
        assert!(Faults::parse("dup=2").is_err());
        assert_eq!(Faults::parse("").unwrap(), Faults::default());
    }

    #[test]
    fn certain_and_impossible_faults() {
        let dice = FaultDice::new(
            Faults {
                http_503: 1.0,
                ..Faults::default()
            },
            1,
        );
        assert_eq!(dice.roll_gateway(), Some(GatewayFault::Http503));
        dice.set(Faults::default());
        assert_eq!(dice.roll_gateway(), None);
        assert!(!dice.roll_push().duplicate);
        let missing = |path| dice.roll_request(path).api_missing;
        assert!(!missing("/waimai/ng/im/getConnectionTokenWithCount"));
        dice.set(Faults {
            missing: vec!["getConnectionTokenWithCount".into()],
            ..Faults::default()
        });
        assert!(missing("/waimai/ng/im/getConnectionTokenWithCount"));
        assert!(missing("/wmoper/ng/im/getConnectionTokenWithCount"));
        assert!(!missing("/waimai/ng/im/getConnectionToken"));
    }
}
