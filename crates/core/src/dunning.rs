//! The dunning ladder: which rung each invoice is due for today, which one
//! message a customer gets, what it may demand, the date it asks to pay by,
//! and which invoices go to the collection agency.
//!
//! "Why did this customer get this message today" is answered here, by
//! these rules:
//!
//! 1. **One rung at a time.** Per invoice, a run gives at most the next
//!    step after the last one the invoice received ([`next_rung`]). An
//!    invoice without history starts at its strategy's first step that
//!    applies: a heads-up only while it is not yet due; once it is overdue,
//!    the first step after the due date. The next step waits for its own
//!    offset, for the gap to the previous step (the difference of their
//!    offsets, counted from the day the previous one was sent) and until
//!    the previous message's pay-by date has passed. A missed day means the
//!    due step goes out on the next run; nothing is skipped.
//! 2. **One message per customer**, at the step of the invoice furthest up
//!    the ladder ([`plan_message`]), and at most one a day, however many
//!    runs there are. Every invoice in it gets its own rung, never the
//!    message's higher one; an invoice that is open but not due for a rung
//!    is listed as also open and gets none.
//! 3. **Severity across segment changes.** An invoice whose last rung came
//!    from another strategy continues with this strategy's first step that
//!    is more severe than that rung ([`crate::strategy::StepKind`]).
//! 4. **Nothing formal about money that is not due.** A message after the
//!    due date lists and demands overdue invoices only; money received but
//!    not yet applied is taken off, oldest invoice first ([`demanded`]).
//! 5. **Hand-off only after the final notice, per invoice**: an invoice
//!    goes to the agency only when its last rung was the final notice
//!    (and, for a consumer, its 14-day letter's term has passed) and that
//!    notice's deadline is over. Interest and costs apply only to invoices
//!    that have had a step allowing them ([`allows`]).
//! 6. **Pay-by dates are never in the past** ([`pay_by`]).
//!
//! Everything here is a pure function of the facts handed in; the app
//! gathers the facts, asks, renders and saves.

use crate::date::Date;
use crate::ids::InvoiceId;
use crate::strategy::{Channel, Effect, StepKind, Strategy};

/// A rung an invoice received: the step of a message Tegoed sent, or of
/// the history imported from an earlier system.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rung {
    /// The strategy the step belongs to; `None` when unknown (imported
    /// history without one).
    pub strategy: Option<String>,
    /// The step's id in that strategy (or its kind, for imported history).
    pub step: String,
    pub kind: StepKind,
    /// The day it was sent.
    pub on: Date,
    /// The deadline the message gave, if it gave one.
    pub pay_by: Option<Date>,
}

/// An open invoice as the ladder sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LadderInvoice {
    pub invoice: InvoiceId,
    pub due_date: Date,
    pub open_minor: i64,
    /// Disputed, covered by a promise not yet due, in an active payment
    /// plan: nothing is sent about it.
    pub on_hold: bool,
    /// The last rung it received.
    pub last: Option<Rung>,
    /// For a consumer: the last day to pay without costs that a 14-day
    /// letter about this invoice gave, if one was sent.
    pub fourteen_day_until: Option<Date>,
}

impl LadderInvoice {
    pub fn is_overdue(&self, as_of: Date) -> bool {
        as_of > self.due_date
    }
}

/// What an invoice is up to on a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// This step (an index into the strategy's steps) is due today.
    Due(usize),
    /// This step comes next, not before `from`.
    Waiting { step: usize, from: Date },
    /// Nothing is to come: paid, at the agency, at the end of the ladder,
    /// or no step applies.
    Nothing,
}

/// The step that follows `last` in `strategy` among the steps that apply:
/// the next one in the same ladder, or — after a segment change — the
/// first one more severe than it.
fn step_after(strategy: &Strategy, last: &Rung, applies: &[bool]) -> Option<usize> {
    let same = last.strategy.as_deref() == Some(strategy.id.as_str());
    match strategy.position(&last.step).filter(|_| same) {
        Some(at) => (at + 1..strategy.steps.len()).find(|&s| applies[s]),
        None => (0..strategy.steps.len())
            .find(|&s| applies[s] && strategy.steps[s].kind.severity() > last.kind.severity()),
    }
}

/// The step an invoice is due for on `as_of` (rules 1, 3 and 5).
///
/// `applies[s]` says whether step `s` applies to the customer (their
/// minimum amounts). `consumer`: a hand-off also needs the 14-day letter's
/// term to have passed.
pub fn next_rung(
    strategy: &Strategy,
    invoice: &LadderInvoice,
    applies: &[bool],
    consumer: bool,
    as_of: Date,
) -> Next {
    let steps = &strategy.steps;
    let due = invoice.due_date;
    let overdue = invoice.is_overdue(as_of);
    let Some(last) = &invoice.last else {
        // No history: a heads-up while not yet due, else the first step
        // after the due date.
        if !overdue
            && let Some(first) = (0..steps.len()).find(|&s| applies[s])
            && steps[first].offset_days < 0
        {
            let from = due.add_days(steps[first].offset_days);
            return if as_of >= from {
                Next::Due(first)
            } else {
                Next::Waiting { step: first, from }
            };
        }
        let Some(first) = (0..steps.len()).find(|&s| applies[s] && steps[s].offset_days >= 0)
        else {
            return Next::Nothing;
        };
        if steps[first].kind == StepKind::Handoff {
            // Never hand off an invoice we never wrote about.
            return Next::Nothing;
        }
        let from = due.add_days(steps[first].offset_days.max(1));
        return if as_of >= from {
            Next::Due(first)
        } else {
            Next::Waiting { step: first, from }
        };
    };
    if last.kind == StepKind::Handoff {
        return Next::Nothing;
    }
    let Some(next) = step_after(strategy, last, applies) else {
        return Next::Nothing;
    };
    let step = &steps[next];
    if step.offset_days < 0 && overdue {
        // A heads-up after the due date says something untrue: skip to the
        // first step after it.
        let rest = Rung {
            strategy: Some(strategy.id.clone()),
            step: step.id.clone(),
            kind: step.kind,
            ..last.clone()
        };
        let shifted = LadderInvoice {
            last: Some(rest),
            ..invoice.clone()
        };
        return next_rung(strategy, &shifted, applies, consumer, as_of);
    }
    if step.kind == StepKind::Handoff {
        let after_final = last.kind == StepKind::FinalNotice;
        let letter_passed = !consumer || invoice.fourteen_day_until.is_some_and(|d| as_of > d);
        if !after_final || !letter_passed {
            return Next::Nothing;
        }
    }
    // The gap to the previous step: the difference of their offsets in
    // this ladder (after a segment change, the gap before this step in the
    // new ladder).
    let previous_offset = match strategy.position(&last.step) {
        Some(at) if last.strategy.as_deref() == Some(strategy.id.as_str()) => steps[at].offset_days,
        _ => match next {
            0 => step.offset_days,
            n => steps[n - 1].offset_days,
        },
    };
    let gap = (step.offset_days - previous_offset).max(1);
    let own = if step.offset_days < 0 {
        due.add_days(step.offset_days)
    } else {
        due.add_days(step.offset_days.max(1))
    };
    let after_deadline = last.pay_by.map_or(last.on, |d| d.add_days(1));
    let from = own.max(last.on.add_days(gap)).max(after_deadline);
    if as_of >= from {
        Next::Due(next)
    } else {
        Next::Waiting { step: next, from }
    }
}

/// An invoice in a planned message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Item {
    pub invoice: InvoiceId,
    /// The step this message gives the invoice, or `None` when it is only
    /// listed as also open.
    pub rung: Option<usize>,
}

/// The one message a customer gets today.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessagePlan {
    /// The step of the message: the furthest rung any item gets.
    pub step: usize,
    /// The invoices in it, oldest due date first.
    pub items: Vec<Item>,
}

/// The message for one customer's invoices today (rules 2 and 4), or
/// `None` when no invoice is due for a rung.
///
/// After the due date a message holds the customer's overdue invoices (not
/// on hold): each with its own due rung, or as also open. A heads-up holds
/// only the invoices due for one, and is sent only when nothing is due
/// after a due date. A hand-off holds only the invoices due for it.
pub fn plan_message(
    strategy: &Strategy,
    invoices: &[LadderInvoice],
    applies: &[bool],
    consumer: bool,
    as_of: Date,
) -> Option<MessagePlan> {
    // One message a day: a customer who had one today (an earlier run of
    // the same day) gets nothing more until tomorrow.
    if invoices
        .iter()
        .any(|i| i.last.as_ref().is_some_and(|r| r.on == as_of))
    {
        return None;
    }
    let mut active: Vec<&LadderInvoice> = invoices
        .iter()
        .filter(|i| !i.on_hold && i.open_minor > 0)
        .collect();
    active.sort_by_key(|i| (i.due_date, i.invoice));
    let due: Vec<(&LadderInvoice, usize)> = active
        .iter()
        .filter_map(|i| match next_rung(strategy, i, applies, consumer, as_of) {
            Next::Due(step) => Some((*i, step)),
            _ => None,
        })
        .collect();
    let after_due: Vec<&(&LadderInvoice, usize)> = due
        .iter()
        .filter(|(_, s)| strategy.steps[*s].offset_days >= 0)
        .collect();
    if let Some(step) = after_due.iter().map(|(_, s)| *s).max() {
        let rung_of = |invoice: InvoiceId| {
            after_due
                .iter()
                .find(|(i, _)| i.invoice == invoice)
                .map(|(_, s)| *s)
        };
        let items = if strategy.steps[step].kind == StepKind::Handoff {
            after_due
                .iter()
                .filter(|(_, s)| *s == step)
                .map(|(i, s)| Item {
                    invoice: i.invoice,
                    rung: Some(*s),
                })
                .collect()
        } else {
            active
                .iter()
                .filter(|i| i.is_overdue(as_of))
                .map(|i| Item {
                    invoice: i.invoice,
                    // A hand-off waits for its own message.
                    rung: rung_of(i.invoice)
                        .filter(|s| strategy.steps[*s].kind != StepKind::Handoff),
                })
                .collect()
        };
        return Some(MessagePlan { step, items });
    }
    let step = due.iter().map(|(_, s)| *s).max()?;
    Some(MessagePlan {
        step,
        items: due
            .iter()
            .map(|(i, s)| Item {
                invoice: i.invoice,
                rung: Some(*s),
            })
            .collect(),
    })
}

/// Whether an invoice that has reached `reached` (its rung in this message,
/// or the last one it had) has passed a step with `effect`: from that step
/// on, interest (or collection costs, or a credit hold) apply to it.
pub fn allows(strategy: &Strategy, reached: &Rung, effect: Effect) -> bool {
    let same = reached.strategy.as_deref() == Some(strategy.id.as_str());
    match strategy.position(&reached.step).filter(|_| same) {
        Some(at) => strategy.steps[..=at].iter().any(|s| s.has(effect)),
        None => strategy
            .steps
            .iter()
            .any(|s| s.has(effect) && s.kind.severity() <= reached.kind.severity()),
    }
}

/// What a message demands, invoice by invoice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Demanded {
    /// The open amounts listed, added up (the table's "open").
    pub open_minor: i64,
    /// Money received but not yet applied, taken off.
    pub credit_minor: i64,
    /// What is left to pay per invoice, in the order given.
    pub per_invoice: Vec<(InvoiceId, i64)>,
    /// `open_minor - credit_minor`.
    pub net_minor: i64,
}

/// Takes `credit` (payments and credit notes not yet applied) off the open
/// amounts of `invoices` (oldest first, as given): what a message may ask.
/// A customer whose credit covers everything has nothing to pay.
pub fn demanded(invoices: &[(InvoiceId, i64)], credit_minor: i64) -> Demanded {
    let open_minor = invoices
        .iter()
        .fold(0i64, |sum, (_, open)| sum.saturating_add(*open));
    let mut left = credit_minor.clamp(0, open_minor.max(0));
    let credit_used = left;
    let per_invoice = invoices
        .iter()
        .map(|(invoice, open)| {
            let take = left.min(*open).max(0);
            left -= take;
            (*invoice, open - take)
        })
        .collect();
    Demanded {
        open_minor,
        credit_minor: credit_used,
        per_invoice,
        net_minor: open_minor - credit_used,
    }
}

/// The date a message asks to be paid by (rule 6): never before the send
/// date plus `pay_within_days`; a heads-up not before the earliest due
/// date of its invoices; a 14-day letter at the end of its term. Calls and
/// hand-offs ask nothing.
pub fn pay_by(
    kind: StepKind,
    channel: Channel,
    as_of: Date,
    pay_within_days: i32,
    earliest_due: Date,
    fourteen_day_until: Option<Date>,
) -> Option<Date> {
    if matches!(channel, Channel::Call | Channel::Handoff) {
        return None;
    }
    let floor = as_of.add_days(pay_within_days.max(0));
    Some(match kind {
        StepKind::FourteenDayLetter => fourteen_day_until.unwrap_or(floor).max(floor),
        StepKind::HeadsUp => earliest_due.max(floor),
        _ => floor,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategy::{Sender, Step};

    fn step(id: &str, kind: StepKind, offset: i32) -> Step {
        Step {
            id: id.into(),
            kind,
            offset_days: offset,
            channel: match kind {
                StepKind::Call => Channel::Call,
                StepKind::Handoff => Channel::Handoff,
                StepKind::FinalNotice => Channel::Letter,
                _ => Channel::Email,
            },
            template: id.into(),
            min_overdue_minor: 0,
            effects: match kind {
                StepKind::Demand => vec![Effect::Interest],
                StepKind::FinalNotice => vec![Effect::Interest, Effect::CollectionCosts],
                _ => vec![],
            },
            sender: Sender::Collector,
        }
    }

    fn standard() -> Strategy {
        Strategy {
            name_nl: "Standaard".into(),
            name_en: "Standard".into(),
            id: "standard".into(),
            tone: "neutral".into(),
            steps: vec![
                step("heads_up", StepKind::HeadsUp, -3),
                step("reminder", StepKind::Reminder, 3),
                step("second_reminder", StepKind::SecondReminder, 14),
                step("call", StepKind::Call, 21),
                step("demand", StepKind::Demand, 30),
                step("final_notice", StepKind::FinalNotice, 45),
                step("handoff", StepKind::Handoff, 75),
            ],
        }
    }

    fn d(day: i32) -> Date {
        Date::from_days_since_epoch(20_000 + day)
    }

    fn all(strategy: &Strategy) -> Vec<bool> {
        vec![true; strategy.steps.len()]
    }

    fn invoice(id: i64, due: i32, last: Option<Rung>) -> LadderInvoice {
        LadderInvoice {
            invoice: InvoiceId(id),
            due_date: d(due),
            open_minor: 10_000,
            on_hold: false,
            last,
            fourteen_day_until: None,
        }
    }

    fn rung(strategy: &str, step: &str, kind: StepKind, on: i32, pay_by: Option<i32>) -> Rung {
        Rung {
            strategy: Some(strategy.into()),
            step: step.into(),
            kind,
            on: d(on),
            pay_by: pay_by.map(d),
        }
    }

    fn next(inv: &LadderInvoice, on: i32) -> Next {
        let s = standard();
        next_rung(&s, inv, &all(&s), false, d(on))
    }

    #[test]
    fn the_first_contact_is_the_first_rung_however_late() {
        // Go-live 200 days after the due date: a reminder, not a final notice.
        assert_eq!(next(&invoice(1, 0, None), 200), Next::Due(1));
        // Before the due date: the heads-up in its window, not before.
        assert_eq!(next(&invoice(1, 10, None), 8), Next::Due(0));
        assert_eq!(
            next(&invoice(1, 10, None), 5),
            Next::Waiting {
                step: 0,
                from: d(7)
            }
        );
        // On the due date itself nothing is overdue yet.
        assert_eq!(
            next(&invoice(1, 10, None), 10),
            Next::Due(0),
            "the heads-up's window runs to the due date"
        );
        // Just after it: the first step after the due date waits for its offset.
        assert_eq!(
            next(&invoice(1, 10, None), 11),
            Next::Waiting {
                step: 1,
                from: d(13)
            }
        );
    }

    #[test]
    fn one_rung_at_a_time_with_the_gap_and_the_deadline() {
        // The reminder went out late (day 40, pay by day 45): the second
        // reminder waits for the gap (14 - 3 = 11 days) and the deadline.
        let inv = invoice(
            1,
            0,
            Some(rung(
                "standard",
                "reminder",
                StepKind::Reminder,
                40,
                Some(45),
            )),
        );
        assert_eq!(
            next(&inv, 46),
            Next::Waiting {
                step: 2,
                from: d(51)
            }
        );
        assert_eq!(next(&inv, 51), Next::Due(2), "never the demand or later");
        assert_eq!(next(&inv, 300), Next::Due(2), "a missed day skips nothing");
        // A deadline later than the gap: after the deadline.
        let inv = invoice(
            1,
            0,
            Some(rung(
                "standard",
                "reminder",
                StepKind::Reminder,
                3,
                Some(20),
            )),
        );
        assert_eq!(
            next(&inv, 18),
            Next::Waiting {
                step: 2,
                from: d(21)
            }
        );
    }

    #[test]
    fn the_hand_off_comes_only_after_the_final_notice() {
        let s = standard();
        let after_demand = invoice(
            1,
            0,
            Some(rung("standard", "demand", StepKind::Demand, 30, Some(35))),
        );
        assert_eq!(next(&after_demand, 100), Next::Due(5), "the final notice");
        let after_final = invoice(
            1,
            0,
            Some(rung(
                "standard",
                "final_notice",
                StepKind::FinalNotice,
                45,
                Some(50),
            )),
        );
        assert_eq!(next(&after_final, 75), Next::Due(6));
        assert_eq!(
            next(&after_final, 70),
            Next::Waiting {
                step: 6,
                from: d(75)
            }
        );
        // A consumer also needs the 14-day letter's term to have passed.
        assert_eq!(
            next_rung(&s, &after_final, &all(&s), true, d(80)),
            Next::Nothing,
            "no 14-day letter: no hand-off"
        );
        let with_letter = LadderInvoice {
            fourteen_day_until: Some(d(40)),
            ..after_final.clone()
        };
        assert_eq!(
            next_rung(&s, &with_letter, &all(&s), true, d(80)),
            Next::Due(6)
        );
        // After the hand-off: nothing more.
        let handed = invoice(
            1,
            0,
            Some(rung("standard", "handoff", StepKind::Handoff, 80, None)),
        );
        assert_eq!(next(&handed, 200), Next::Nothing);
    }

    #[test]
    fn a_segment_change_continues_with_the_first_more_severe_step() {
        let s = standard();
        // Had the pamper call (severity of a call): the next is the demand.
        let inv = invoice(1, 0, Some(rung("pamper", "call", StepKind::Call, 14, None)));
        assert_eq!(next(&inv, 40), Next::Due(4));
        // Had a heads-up elsewhere, now overdue: the reminder.
        let inv = invoice(
            1,
            0,
            Some(rung("welcome", "heads_up", StepKind::HeadsUp, -3, Some(0))),
        );
        assert_eq!(next(&inv, 10), Next::Due(1));
        // Imported history without a strategy counts by its kind.
        let inv = invoice(
            1,
            0,
            Some(Rung {
                strategy: None,
                step: "second_reminder".into(),
                kind: StepKind::SecondReminder,
                on: d(20),
                pay_by: None,
            }),
        );
        assert_eq!(next_rung(&s, &inv, &all(&s), false, d(40)), Next::Due(3));
    }

    #[test]
    fn steps_that_do_not_apply_are_passed_over_not_skipped_to() {
        let s = standard();
        let mut applies = all(&s);
        applies[3] = false; // the call needs more overdue than this customer has
        let inv = invoice(
            1,
            0,
            Some(rung(
                "standard",
                "second_reminder",
                StepKind::SecondReminder,
                14,
                Some(19),
            )),
        );
        assert_eq!(next_rung(&s, &inv, &applies, false, d(30)), Next::Due(4));
    }

    #[test]
    fn one_message_at_the_furthest_rung_each_invoice_its_own() {
        let s = standard();
        let invoices = [
            // Due for the demand.
            invoice(
                1,
                0,
                Some(rung("standard", "call", StepKind::Call, 21, None)),
            ),
            // Due for its first reminder.
            invoice(2, 25, None),
            // Overdue but waiting for its deadline: listed as also open.
            invoice(
                3,
                20,
                Some(rung(
                    "standard",
                    "reminder",
                    StepKind::Reminder,
                    28,
                    Some(33),
                )),
            ),
            // Not yet due: not in a message after the due date.
            invoice(4, 40, None),
        ];
        let plan = plan_message(&s, &invoices, &all(&s), false, d(31)).unwrap();
        assert_eq!(s.steps[plan.step].id, "demand");
        assert_eq!(
            plan.items,
            vec![
                Item {
                    invoice: InvoiceId(1),
                    rung: Some(4)
                },
                Item {
                    invoice: InvoiceId(3),
                    rung: None
                },
                Item {
                    invoice: InvoiceId(2),
                    rung: Some(1)
                },
            ]
        );
    }

    #[test]
    fn a_heads_up_only_while_nothing_after_a_due_date_is_due() {
        let s = standard();
        let invoices = [invoice(1, 10, None), invoice(2, 12, None)];
        let plan = plan_message(&s, &invoices, &all(&s), false, d(9)).unwrap();
        assert_eq!(s.steps[plan.step].id, "heads_up");
        assert_eq!(plan.items.len(), 2);
        let mixed = [invoice(1, 10, None), invoice(2, 0, None)];
        let plan = plan_message(&s, &mixed, &all(&s), false, d(9)).unwrap();
        assert_eq!(s.steps[plan.step].id, "reminder");
        assert_eq!(
            plan.items,
            vec![Item {
                invoice: InvoiceId(2),
                rung: Some(1)
            }],
            "the invoice that is not due is not in a reminder"
        );
    }

    #[test]
    fn a_hand_off_holds_only_the_invoices_due_for_it() {
        let s = standard();
        let invoices = [
            invoice(
                1,
                0,
                Some(rung(
                    "standard",
                    "final_notice",
                    StepKind::FinalNotice,
                    45,
                    Some(50),
                )),
            ),
            invoice(
                2,
                60,
                Some(rung(
                    "standard",
                    "reminder",
                    StepKind::Reminder,
                    63,
                    Some(68),
                )),
            ),
        ];
        let plan = plan_message(&s, &invoices, &all(&s), false, d(80)).unwrap();
        assert_eq!(s.steps[plan.step].kind, StepKind::Handoff);
        assert_eq!(
            plan.items,
            vec![Item {
                invoice: InvoiceId(1),
                rung: Some(6)
            }]
        );
    }

    #[test]
    fn one_message_a_day_however_many_runs() {
        // A reminder went out today for one invoice; another comes into its
        // heads-up window: nothing more today.
        let s = standard();
        let invoices = [
            invoice(
                1,
                0,
                Some(rung("standard", "reminder", StepKind::Reminder, 3, Some(8))),
            ),
            invoice(2, 5, None),
        ];
        assert_eq!(plan_message(&s, &invoices, &all(&s), false, d(3)), None);
        let tomorrow = plan_message(&s, &invoices, &all(&s), false, d(4)).unwrap();
        assert_eq!(s.steps[tomorrow.step].id, "heads_up");
    }

    #[test]
    fn held_invoices_are_left_out() {
        let s = standard();
        let mut disputed = invoice(1, 0, None);
        disputed.on_hold = true;
        assert_eq!(plan_message(&s, &[disputed], &all(&s), false, d(20)), None);
    }

    #[test]
    fn interest_and_costs_only_after_the_steps_that_allow_them() {
        let s = standard();
        let reminder = rung("standard", "reminder", StepKind::Reminder, 3, None);
        let demand = rung("standard", "demand", StepKind::Demand, 30, None);
        let final_notice = rung("standard", "final_notice", StepKind::FinalNotice, 45, None);
        assert!(!allows(&s, &reminder, Effect::Interest));
        assert!(allows(&s, &demand, Effect::Interest));
        assert!(!allows(&s, &demand, Effect::CollectionCosts));
        assert!(allows(&s, &final_notice, Effect::CollectionCosts));
        let elsewhere = rung("critical", "demand", StepKind::Demand, 14, None);
        assert!(allows(&s, &elsewhere, Effect::Interest));
        assert!(!allows(&s, &elsewhere, Effect::CollectionCosts));
    }

    #[test]
    fn credit_comes_off_the_oldest_invoices_first() {
        let got = demanded(&[(InvoiceId(1), 5_000), (InvoiceId(2), 3_000)], 6_000);
        assert_eq!(got.open_minor, 8_000);
        assert_eq!(got.credit_minor, 6_000);
        assert_eq!(got.net_minor, 2_000);
        assert_eq!(
            got.per_invoice,
            vec![(InvoiceId(1), 0), (InvoiceId(2), 2_000)]
        );
        let covered = demanded(&[(InvoiceId(1), 5_000)], 9_000);
        assert_eq!((covered.credit_minor, covered.net_minor), (5_000, 0));
    }

    #[test]
    fn pay_by_dates_are_never_in_the_past() {
        let today = d(100);
        // A heads-up sent three days before the due date still gives five days.
        assert_eq!(
            pay_by(StepKind::HeadsUp, Channel::Email, today, 5, d(103), None),
            Some(d(105))
        );
        assert_eq!(
            pay_by(StepKind::HeadsUp, Channel::Email, today, 5, d(110), None),
            Some(d(110))
        );
        assert_eq!(
            pay_by(StepKind::Reminder, Channel::Email, today, 5, d(20), None),
            Some(d(105))
        );
        assert_eq!(
            pay_by(
                StepKind::FourteenDayLetter,
                Channel::Letter,
                today,
                5,
                d(20),
                Some(d(117))
            ),
            Some(d(117))
        );
        assert_eq!(
            pay_by(StepKind::Call, Channel::Call, today, 5, d(20), None),
            None
        );
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// Daily runs on one invoice from its issue to 150 days after
            /// its due date, with the message's deadline as the ladder
            /// gives it: no rung is ever skipped, a post-due ladder starts
            /// at its first post-due step, the hand-off follows the final
            /// notice, and no step comes before its offset, its gap or the
            /// previous deadline.
            #[test]
            fn daily_runs_climb_one_rung_at_a_time(
                go_live in -10i32..150,
                pay_within in 0i32..10,
                applies_call in any::<bool>(),
            ) {
                let s = standard();
                let mut applies = all(&s);
                applies[3] = applies_call;
                let mut inv = invoice(1, 0, None);
                let mut given: Vec<(usize, i32)> = Vec::new();
                for day in go_live..150 {
                    if let Next::Due(step) = next_rung(&s, &inv, &applies, false, d(day)) {
                        let st = &s.steps[step];
                        if st.offset_days >= 0 {
                            prop_assert!(day >= st.offset_days.max(1), "offset of {}", st.id);
                        } else {
                            prop_assert!(day <= 0, "a heads-up only before the due date");
                        }
                        match given.last() {
                            None => {
                                let first = if day <= 0 { 0 } else { 1 };
                                prop_assert_eq!(step, first, "the first rung");
                            }
                            Some((prev, prev_day)) => {
                                let expected = (prev + 1..s.steps.len()).find(|&x| applies[x]).unwrap();
                                let expected = if s.steps[expected].offset_days < 0 && day > 0 {
                                    (expected + 1..s.steps.len()).find(|&x| applies[x]).unwrap()
                                } else {
                                    expected
                                };
                                prop_assert_eq!(step, expected, "no rung skipped");
                                let gap = s.steps[step].offset_days - s.steps[*prev].offset_days;
                                prop_assert!(day - prev_day >= gap.max(1), "the gap to the previous step");
                                let deadline = prev_day + pay_within;
                                if !matches!(s.steps[*prev].channel, Channel::Call) {
                                    prop_assert!(day > deadline, "after the previous deadline");
                                }
                            }
                        }
                        if st.kind == StepKind::Handoff {
                            prop_assert_eq!(s.steps[given.last().unwrap().0].kind, StepKind::FinalNotice);
                        }
                        let pay = pay_by(st.kind, st.channel, d(day), pay_within, inv.due_date, None);
                        if let Some(p) = pay {
                            prop_assert!(p >= d(day + pay_within));
                        }
                        inv.last = Some(Rung {
                            strategy: Some(s.id.clone()),
                            step: st.id.clone(),
                            kind: st.kind,
                            on: d(day),
                            pay_by: pay,
                        });
                        given.push((step, day));
                    }
                }
                prop_assert!(given.windows(2).all(|w| w[0].0 < w[1].0), "always upward");
            }
        }
    }
}
