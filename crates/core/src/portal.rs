//! The customer's own page (the portal): what a customer may settle on
//! their own, and what goes to a person.
//!
//! A customer who follows the link in a message can say they paid, promise
//! a date, ask for a payment plan, report a problem with an invoice or ask
//! to be contacted. The first two or three are accepted at once when they
//! stay within the company's limits (`[portal]` in `tegoed.toml`); anything
//! beyond them becomes a request for a collector or the credit manager.
//! The answer always says which, and why, so the page can tell the
//! customer the truth ("accepted" or "we will get back to you").

use crate::{Date, Language};

/// What a customer may settle on their own page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// A promise may name a day at most this many days ahead.
    pub promise_max_days: i32,
    /// No promise is accepted at once when one was broken within this
    /// many days.
    pub promise_broken_lookback_days: i32,
    /// A plan may have at most this many monthly instalments.
    pub plan_max_instalments: u32,
    /// A plan may cover at most this much (minor units of its currency).
    pub plan_max_total_minor: i64,
    /// The first instalment at most this many days ahead.
    pub plan_first_max_days: i32,
    /// Risk classes whose customers may set up a plan themselves; a
    /// customer without a class counts as allowed when `None` is listed
    /// by `unrated_allowed`.
    pub plan_classes: Vec<char>,
    pub plan_unrated_allowed: bool,
    /// Dunning pauses this many days after "I have already paid".
    pub paid_pause_days: i32,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            promise_max_days: 30,
            promise_broken_lookback_days: 365,
            plan_max_instalments: 6,
            plan_max_total_minor: 1_000_000,
            plan_first_max_days: 30,
            plan_classes: vec!['A', 'B', 'C'],
            plan_unrated_allowed: true,
            paid_pause_days: 10,
        }
    }
}

/// Why a request goes to a person instead of being accepted at once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Why {
    /// The day is further ahead than the limit.
    TooFar { max_days: i32 },
    /// A promise was broken on this day, within the look-back.
    BrokenRecently { on: Date },
    /// More instalments than allowed.
    TooManyInstalments { max: u32 },
    /// More money than a plan may cover on its own.
    TooLarge { max_minor: i64 },
    /// The customer's risk class may not set up a plan on their own.
    Class { class: Option<char> },
    /// The customer already has an active plan.
    PlanActive,
    /// A promise for less than what is past its due date (a token amount
    /// must not stop the reminders).
    Partial { overdue_minor: i64 },
}

impl Why {
    /// A stable code to store (`too_far:30`, `broken:2026-01-01`,
    /// `instalments:6`, `total:1000000`, `class:D`, `class:`,
    /// `plan_active`); read back with [`Why::parse_code`].
    pub fn code(&self) -> String {
        match self {
            Why::TooFar { max_days } => format!("too_far:{max_days}"),
            Why::BrokenRecently { on } => format!("broken:{on}"),
            Why::TooManyInstalments { max } => format!("instalments:{max}"),
            Why::TooLarge { max_minor } => format!("total:{max_minor}"),
            Why::Class { class } => {
                format!("class:{}", class.map(String::from).unwrap_or_default())
            }
            Why::PlanActive => "plan_active".into(),
            Why::Partial { overdue_minor } => format!("partial:{overdue_minor}"),
        }
    }

    pub fn parse_code(code: &str) -> Option<Why> {
        let (name, value) = code.split_once(':').unwrap_or((code, ""));
        Some(match name {
            "too_far" => Why::TooFar {
                max_days: value.parse().ok()?,
            },
            "broken" => Why::BrokenRecently {
                on: Date::parse_iso(value).ok()?,
            },
            "instalments" => Why::TooManyInstalments {
                max: value.parse().ok()?,
            },
            "total" => Why::TooLarge {
                max_minor: value.parse().ok()?,
            },
            "class" => Why::Class {
                class: value.chars().next(),
            },
            "plan_active" => Why::PlanActive,
            "partial" => Why::Partial {
                overdue_minor: value.parse().ok()?,
            },
            _ => return None,
        })
    }

    /// For the customer: why a person will look at it, in plain words.
    /// Nothing about risk classes or internal rules — only what is true
    /// and useful to them.
    pub fn to_customer(&self, language: Language) -> String {
        let nl = language == Language::Nl;
        match self {
            Why::TooFar { max_days } => {
                if nl {
                    format!(
                        "U noemde een datum verder dan {max_days} dagen vooruit; \
                         daarover beslist een collega."
                    )
                } else {
                    format!(
                        "The date is more than {max_days} days ahead; a colleague decides on that."
                    )
                }
            }
            Why::BrokenRecently { .. } => if nl {
                "Een eerdere afspraak liep niet zoals afgesproken; daarom kijkt een collega mee."
            } else {
                "An earlier arrangement did not go as agreed, so a colleague will look at this one."
            }
            .into(),
            Why::TooManyInstalments { max } => {
                if nl {
                    format!(
                        "Een regeling van meer dan {max} termijnen bespreken we graag persoonlijk."
                    )
                } else {
                    format!(
                        "We would like to discuss a plan of more than {max} instalments in person."
                    )
                }
            }
            Why::TooLarge { .. } => if nl {
                "Een regeling voor dit bedrag bespreken we graag persoonlijk."
            } else {
                "We would like to discuss a plan for this amount in person."
            }
            .into(),
            Why::Class { .. } => if nl {
                "Een betalingsregeling stemmen we graag eerst even met u af."
            } else {
                "We would like to agree a payment plan with you in person first."
            }
            .into(),
            Why::PlanActive => if nl {
                "U hebt al een betalingsregeling; een collega kijkt met u naar een nieuwe."
            } else {
                "You already have a payment plan; a colleague will look at a new one with you."
            }
            .into(),
            Why::Partial { .. } => if nl {
                "U noemde een lager bedrag dan wat over de vervaldatum is; daarover beslist een collega."
            } else {
                "The amount is less than what is past its due date; a colleague decides on that."
            }
            .into(),
        }
    }
}

/// Whether a promise to pay `amount_minor` on `pay_on`, made on `as_of`,
/// is accepted at once: it covers everything past its due date
/// (`overdue_minor`), names a day within the limit, and no earlier promise
/// of this customer was broken (on one of the days `broken`) within the
/// look-back.
pub fn promise(
    limits: &Limits,
    as_of: Date,
    pay_on: Date,
    amount_minor: i64,
    overdue_minor: i64,
    broken: &[Date],
) -> Result<(), Why> {
    if amount_minor < overdue_minor {
        return Err(Why::Partial { overdue_minor });
    }
    if as_of.days_until(pay_on) > limits.promise_max_days {
        return Err(Why::TooFar {
            max_days: limits.promise_max_days,
        });
    }
    if let Some(on) = broken
        .iter()
        .copied()
        .filter(|on| *on <= as_of && on.days_until(as_of) <= limits.promise_broken_lookback_days)
        .max()
    {
        return Err(Why::BrokenRecently { on });
    }
    Ok(())
}

/// A plan a customer asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlanAsk {
    pub instalments: u32,
    pub first: Date,
    pub total_minor: i64,
    pub class: Option<char>,
    pub has_active_plan: bool,
}

/// Whether a plan is accepted at once (checked in the order a person
/// would: an active plan, the class, the amount, the instalments, the
/// start).
pub fn plan(limits: &Limits, as_of: Date, ask: &PlanAsk) -> Result<(), Why> {
    if ask.has_active_plan {
        return Err(Why::PlanActive);
    }
    let class_ok = match ask.class {
        Some(c) => limits.plan_classes.contains(&c),
        None => limits.plan_unrated_allowed,
    };
    if !class_ok {
        return Err(Why::Class { class: ask.class });
    }
    if ask.total_minor > limits.plan_max_total_minor {
        return Err(Why::TooLarge {
            max_minor: limits.plan_max_total_minor,
        });
    }
    if ask.instalments > limits.plan_max_instalments {
        return Err(Why::TooManyInstalments {
            max: limits.plan_max_instalments,
        });
    }
    if as_of.days_until(ask.first) > limits.plan_first_max_days {
        return Err(Why::TooFar {
            max_days: limits.plan_first_max_days,
        });
    }
    Ok(())
}

/// What can be wrong with an invoice, as the customer picks it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem {
    NotReceived,
    WrongAmount,
    DeliveryIncomplete,
    Quality,
    AlreadyCredited,
    Other,
}

impl Problem {
    pub const ALL: [Problem; 6] = [
        Problem::NotReceived,
        Problem::WrongAmount,
        Problem::DeliveryIncomplete,
        Problem::Quality,
        Problem::AlreadyCredited,
        Problem::Other,
    ];

    /// The stable code (forms, JSON).
    pub fn as_str(self) -> &'static str {
        match self {
            Problem::NotReceived => "not_received",
            Problem::WrongAmount => "wrong_amount",
            Problem::DeliveryIncomplete => "delivery_incomplete",
            Problem::Quality => "quality",
            Problem::AlreadyCredited => "already_credited",
            Problem::Other => "other",
        }
    }

    pub fn parse(code: &str) -> Option<Problem> {
        Problem::ALL.into_iter().find(|p| p.as_str() == code)
    }

    /// As the customer reads it (and the team sees it).
    pub fn label(self, language: Language) -> &'static str {
        let nl = language == Language::Nl;
        match self {
            Problem::NotReceived if nl => "Factuur niet ontvangen",
            Problem::NotReceived => "Invoice not received",
            Problem::WrongAmount if nl => "Bedrag klopt niet",
            Problem::WrongAmount => "The amount is wrong",
            Problem::DeliveryIncomplete if nl => "Levering niet compleet",
            Problem::DeliveryIncomplete => "Delivery incomplete",
            Problem::Quality if nl => "Niet tevreden over de kwaliteit",
            Problem::Quality => "Not satisfied with the quality",
            Problem::AlreadyCredited if nl => "Al gecrediteerd",
            Problem::AlreadyCredited => "Already credited",
            Problem::Other if nl => "Iets anders",
            Problem::Other => "Something else",
        }
    }
}

/// How a customer wants to be contacted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Contact {
    Phone,
    Email,
}

impl Contact {
    pub fn as_str(self) -> &'static str {
        match self {
            Contact::Phone => "phone",
            Contact::Email => "email",
        }
    }

    pub fn parse(code: &str) -> Option<Contact> {
        match code {
            "phone" => Some(Contact::Phone),
            "email" => Some(Contact::Email),
            _ => None,
        }
    }

    pub fn label(self, language: Language) -> &'static str {
        match (self, language) {
            (Contact::Phone, Language::Nl) => "telefonisch",
            (Contact::Phone, Language::En) => "by phone",
            (Contact::Email, Language::Nl) => "per e-mail",
            (Contact::Email, Language::En) => "by e-mail",
        }
    }
}

/// When in the day a customer wants to be called.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DayPart {
    Morning,
    Afternoon,
    Any,
}

impl DayPart {
    pub fn as_str(self) -> &'static str {
        match self {
            DayPart::Morning => "morning",
            DayPart::Afternoon => "afternoon",
            DayPart::Any => "any",
        }
    }

    pub fn parse(code: &str) -> Option<DayPart> {
        match code {
            "morning" => Some(DayPart::Morning),
            "afternoon" => Some(DayPart::Afternoon),
            "any" | "" => Some(DayPart::Any),
            _ => None,
        }
    }

    pub fn label(self, language: Language) -> &'static str {
        match (self, language) {
            (DayPart::Morning, Language::Nl) => "'s ochtends",
            (DayPart::Morning, Language::En) => "in the morning",
            (DayPart::Afternoon, Language::Nl) => "'s middags",
            (DayPart::Afternoon, Language::En) => "in the afternoon",
            (DayPart::Any, Language::Nl) => "wanneer het uitkomt",
            (DayPart::Any, Language::En) => "at any time",
        }
    }
}

/// Whether a link issued on `issued_on`, valid until `expires_on`
/// (inclusive) and perhaps revoked, opens the page on `as_of`.
pub fn link_valid(as_of: Date, issued_on: Date, expires_on: Date, revoked: bool) -> bool {
    !revoked && issued_on <= as_of && as_of <= expires_on
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Date {
        Date::parse_iso(text).unwrap()
    }

    #[test]
    fn a_promise_within_the_limit_is_accepted_and_one_further_goes_to_a_person() {
        let limits = Limits::default();
        let today = d("2026-12-02");
        assert_eq!(promise(&limits, today, d("2027-01-01"), 9, 9, &[]), Ok(()));
        assert_eq!(
            promise(&limits, today, d("2027-01-02"), 9, 9, &[]),
            Err(Why::TooFar { max_days: 30 })
        );
    }

    #[test]
    fn a_token_promise_does_not_stop_the_reminders() {
        let limits = Limits::default();
        let today = d("2026-12-02");
        assert_eq!(
            promise(&limits, today, d("2026-12-10"), 1, 1_159_782, &[]),
            Err(Why::Partial {
                overdue_minor: 1_159_782
            })
        );
    }

    #[test]
    fn a_promise_broken_within_the_year_sends_the_next_to_a_person() {
        let limits = Limits::default();
        let today = d("2026-12-02");
        assert_eq!(
            promise(&limits, today, d("2026-12-10"), 9, 9, &[d("2026-01-01")]),
            Err(Why::BrokenRecently {
                on: d("2026-01-01")
            })
        );
        assert_eq!(
            promise(&limits, today, d("2026-12-10"), 9, 9, &[d("2025-12-01")]),
            Ok(())
        );
    }

    #[test]
    fn a_plan_is_checked_on_class_amount_instalments_and_start() {
        let limits = Limits::default();
        let today = d("2026-12-02");
        let ask = PlanAsk {
            instalments: 6,
            first: d("2027-01-01"),
            total_minor: 1_000_000,
            class: Some('C'),
            has_active_plan: false,
        };
        assert_eq!(plan(&limits, today, &ask), Ok(()));
        assert_eq!(
            plan(
                &limits,
                today,
                &PlanAsk {
                    class: Some('D'),
                    ..ask
                }
            ),
            Err(Why::Class { class: Some('D') })
        );
        assert_eq!(
            plan(
                &limits,
                today,
                &PlanAsk {
                    total_minor: 1_000_001,
                    ..ask
                }
            ),
            Err(Why::TooLarge {
                max_minor: 1_000_000
            })
        );
        assert_eq!(
            plan(
                &limits,
                today,
                &PlanAsk {
                    instalments: 7,
                    ..ask
                }
            ),
            Err(Why::TooManyInstalments { max: 6 })
        );
        assert_eq!(
            plan(
                &limits,
                today,
                &PlanAsk {
                    first: d("2027-01-02"),
                    ..ask
                }
            ),
            Err(Why::TooFar { max_days: 30 })
        );
        assert_eq!(
            plan(
                &limits,
                today,
                &PlanAsk {
                    has_active_plan: true,
                    ..ask
                }
            ),
            Err(Why::PlanActive)
        );
    }

    #[test]
    fn a_link_opens_from_its_day_up_to_and_including_its_last_day() {
        assert!(link_valid(
            d("2026-12-02"),
            d("2026-12-01"),
            d("2026-12-02"),
            false
        ));
        assert!(!link_valid(
            d("2026-12-03"),
            d("2026-12-01"),
            d("2026-12-02"),
            false
        ));
        assert!(!link_valid(
            d("2026-12-02"),
            d("2026-12-01"),
            d("2026-12-02"),
            true
        ));
    }

    #[test]
    fn every_reason_code_reads_back() {
        for why in [
            Why::TooFar { max_days: 30 },
            Why::BrokenRecently {
                on: d("2026-01-01"),
            },
            Why::TooManyInstalments { max: 6 },
            Why::TooLarge {
                max_minor: 1_000_000,
            },
            Why::Class { class: Some('D') },
            Why::Class { class: None },
            Why::PlanActive,
            Why::Partial { overdue_minor: 12 },
        ] {
            assert_eq!(Why::parse_code(&why.code()), Some(why));
        }
    }

    #[test]
    fn every_problem_code_reads_back() {
        for p in Problem::ALL {
            assert_eq!(Problem::parse(p.as_str()), Some(p));
        }
    }
}
