//! Collection strategies and the dunning decision.
//!
//! A strategy is a ladder of steps, each at an offset in days from the due
//! date (negative: a friendly heads-up before it), with a channel, a message
//! template, an optional minimum overdue amount and effects. Each run, every
//! customer gets at most **one** message: at the step of their most advanced
//! invoice, covering all their invoices that have reached a step. An invoice
//! passes each step at most once, and an invoice that missed a run catches up
//! to the step it has reached now without the steps in between.

use crate::date::Date;
use crate::ids::InvoiceId;

/// How a step reaches the customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Channel {
    Email,
    /// A letter, rendered as PDF.
    Letter,
    /// A task for a person to call, with talking points.
    Call,
    /// Hand the claim to the collection agency.
    Handoff,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Letter => "letter",
            Channel::Call => "call",
            Channel::Handoff => "handoff",
        }
    }

    pub fn parse(text: &str) -> Option<Channel> {
        match text {
            "email" => Some(Channel::Email),
            "letter" => Some(Channel::Letter),
            "call" => Some(Channel::Call),
            "handoff" => Some(Channel::Handoff),
            _ => None,
        }
    }
}

/// What a step does besides sending.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Effect {
    /// Put the customer on credit hold, so sales sees it before the next deal.
    CreditHold,
    /// From this step on, statutory interest is claimed in the messages.
    Interest,
    /// From this step on, collection costs (WIK) are claimed — for a
    /// consumer only after a valid 14-day letter's term has passed.
    CollectionCosts,
    /// This message is the consumer's 14-day letter (art. 6:96 lid 6 BW).
    FourteenDayLetter,
}

impl Effect {
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::CreditHold => "credit_hold",
            Effect::Interest => "interest",
            Effect::CollectionCosts => "collection_costs",
            Effect::FourteenDayLetter => "fourteen_day_letter",
        }
    }

    pub fn parse(text: &str) -> Option<Effect> {
        match text {
            "credit_hold" => Some(Effect::CreditHold),
            "interest" => Some(Effect::Interest),
            "collection_costs" => Some(Effect::CollectionCosts),
            "fourteen_day_letter" => Some(Effect::FourteenDayLetter),
            _ => None,
        }
    }
}

/// Who signs the message (or makes the call).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Sender {
    /// The customer's account manager (falls back to the collector).
    AccountManager,
    /// The credit team's collector.
    Collector,
}

impl Sender {
    pub fn as_str(self) -> &'static str {
        match self {
            Sender::AccountManager => "account_manager",
            Sender::Collector => "collector",
        }
    }

    pub fn parse(text: &str) -> Option<Sender> {
        match text {
            "account_manager" => Some(Sender::AccountManager),
            "collector" => Some(Sender::Collector),
            _ => None,
        }
    }
}

/// One rung of the ladder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub id: String,
    /// Days relative to the due date (negative: before it).
    pub offset_days: i32,
    pub channel: Channel,
    pub template: String,
    /// The step only applies when at least this much is overdue (minor units).
    pub min_overdue_minor: i64,
    pub effects: Vec<Effect>,
    pub sender: Sender,
}

impl Step {
    pub fn has(&self, effect: Effect) -> bool {
        self.effects.contains(&effect)
    }
}

/// A collection strategy: a tone and steps, ordered by offset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Strategy {
    pub id: String,
    /// Template variant: "warm", "light", "firm", "neutral", "consumer".
    pub tone: String,
    pub steps: Vec<Step>,
}

/// An open invoice as the dunning decision sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DunnableInvoice {
    pub invoice: InvoiceId,
    pub due_date: Date,
    pub open_minor: i64,
    /// Disputed, under a promise that is not yet due, or in an active plan.
    pub paused: bool,
    /// The largest step offset this invoice has already passed.
    pub last_offset_done: Option<i32>,
}

/// What the run does for one customer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerStep {
    /// Index into the strategy's steps.
    pub step: usize,
    /// Invoices the message covers (every invoice that has reached a step).
    pub covered: Vec<InvoiceId>,
    /// Of those, the ones for which this step is new.
    pub advancing: Vec<InvoiceId>,
}

/// The step a customer's invoices call for today, if any.
///
/// A customer who has had no message about any of the invoices yet is never
/// handed off straight away: the run goes to the last step before the
/// hand-off instead. A 14-day letter step is never skipped: while a covered
/// invoice has not had it, the run sends it rather than a later step.
pub fn decide(
    strategy: &Strategy,
    invoices: &[DunnableInvoice],
    as_of: Date,
) -> Option<CustomerStep> {
    let active: Vec<&DunnableInvoice> = invoices
        .iter()
        .filter(|i| !i.paused && i.open_minor > 0)
        .collect();
    let overdue: i64 = active
        .iter()
        .filter(|i| i.due_date < as_of)
        .map(|i| i.open_minor)
        .sum();
    let open: i64 = active.iter().map(|i| i.open_minor).sum();
    // Steps whose minimum amount this customer meets (a heads-up before the
    // due date measures what is open, the others what is overdue).
    let applicable: Vec<usize> = (0..strategy.steps.len())
        .filter(|&s| {
            let step = &strategy.steps[s];
            let basis = if step.offset_days < 0 { open } else { overdue };
            basis >= step.min_overdue_minor
        })
        .collect();
    let reached = |invoice: &DunnableInvoice| -> Option<usize> {
        let days = invoice.due_date.days_until(as_of);
        applicable
            .iter()
            .copied()
            .filter(|&s| strategy.steps[s].offset_days <= days)
            .max_by_key(|&s| (strategy.steps[s].offset_days, s))
    };
    let mut best: Option<usize> = None;
    let mut covered = Vec::new();
    let mut advancing = Vec::new();
    for invoice in &active {
        let Some(step) = reached(invoice) else {
            continue;
        };
        covered.push(invoice.invoice);
        let offset = strategy.steps[step].offset_days;
        if invoice.last_offset_done.is_none_or(|done| offset > done) {
            advancing.push(invoice.invoice);
            best = Some(match best {
                Some(b) if (strategy.steps[b].offset_days, b) >= (offset, step) => b,
                _ => step,
            });
        }
    }
    let mut best = best?;
    // A consumer's 14-day letter is never skipped: while a covered invoice
    // has not had it, catching up stops there (costs depend on it).
    if let Some(gate) = applicable
        .iter()
        .copied()
        .filter(|&s| strategy.steps[s].has(Effect::FourteenDayLetter))
        .max_by_key(|&s| strategy.steps[s].offset_days)
    {
        let gate_offset = strategy.steps[gate].offset_days;
        let missing = active
            .iter()
            .filter(|i| covered.contains(&i.invoice))
            .any(|i| i.last_offset_done.is_none_or(|done| done < gate_offset));
        if strategy.steps[best].offset_days > gate_offset && missing {
            best = gate;
            for invoice in &active {
                if covered.contains(&invoice.invoice)
                    && invoice.due_date < as_of
                    && invoice
                        .last_offset_done
                        .is_none_or(|done| done < gate_offset)
                    && !advancing.contains(&invoice.invoice)
                {
                    advancing.push(invoice.invoice);
                }
            }
        }
    }
    // Never hand a customer to the agency who has not heard from us about
    // these invoices: catching up stops at the last step before the hand-off.
    if strategy.steps[best].channel == Channel::Handoff
        && active
            .iter()
            .filter(|i| covered.contains(&i.invoice))
            .all(|i| i.last_offset_done.is_none())
    {
        let handoff_offset = strategy.steps[best].offset_days;
        best = applicable
            .iter()
            .copied()
            .filter(|&s| {
                strategy.steps[s].channel != Channel::Handoff
                    && strategy.steps[s].offset_days < handoff_offset
            })
            .max_by_key(|&s| (strategy.steps[s].offset_days, s))?;
    }
    Some(CustomerStep {
        step: best,
        covered,
        advancing,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(id: &str, offset: i32, min: i64) -> Step {
        Step {
            id: id.into(),
            offset_days: offset,
            channel: Channel::Email,
            template: id.into(),
            min_overdue_minor: min,
            effects: vec![],
            sender: Sender::Collector,
        }
    }

    fn strategy() -> Strategy {
        Strategy {
            id: "standard".into(),
            tone: "neutral".into(),
            steps: vec![
                step("heads_up", -3, 0),
                step("reminder", 3, 0),
                step("second", 14, 0),
                step("call", 21, 50_000),
                step("demand", 30, 0),
            ],
        }
    }

    fn d(days: i32) -> Date {
        Date::from_days_since_epoch(20_000 + days)
    }

    fn invoice(id: i64, due: i32, open: i64, last: Option<i32>) -> DunnableInvoice {
        DunnableInvoice {
            invoice: InvoiceId(id),
            due_date: d(due),
            open_minor: open,
            paused: false,
            last_offset_done: last,
        }
    }

    #[test]
    fn one_message_at_the_most_advanced_step() {
        let invoices = [invoice(1, 0, 10_000, Some(3)), invoice(2, 10, 5_000, None)];
        // Day 15: invoice 1 reached "second" (14), invoice 2 "reminder" (3).
        let plan = decide(&strategy(), &invoices, d(15)).unwrap();
        assert_eq!(strategy().steps[plan.step].id, "second");
        assert_eq!(plan.covered, vec![InvoiceId(1), InvoiceId(2)]);
        assert_eq!(plan.advancing, vec![InvoiceId(1), InvoiceId(2)]);
    }

    #[test]
    fn each_step_once_and_catching_up_skips() {
        let s = strategy();
        // Already had the reminder: nothing new on day 5.
        assert_eq!(decide(&s, &[invoice(1, 0, 10_000, Some(3))], d(5)), None);
        // Missed runs: on day 35 it goes straight to "demand"; the call is
        // below its € 500 minimum anyway.
        let plan = decide(&s, &[invoice(1, 0, 10_000, Some(3))], d(35)).unwrap();
        assert_eq!(s.steps[plan.step].id, "demand");
        // With € 600 overdue on day 25 the call applies.
        let plan = decide(&s, &[invoice(1, 0, 60_000, Some(14))], d(25)).unwrap();
        assert_eq!(s.steps[plan.step].id, "call");
    }

    #[test]
    fn no_handoff_without_an_earlier_message() {
        let mut s = strategy();
        s.steps.push(Step {
            channel: Channel::Handoff,
            ..step("handoff", 60, 0)
        });
        let plan = decide(&s, &[invoice(1, 0, 10_000, None)], d(90)).unwrap();
        assert_eq!(
            s.steps[plan.step].id, "demand",
            "first contact is the last written step"
        );
        let plan = decide(&s, &[invoice(1, 0, 10_000, Some(30))], d(90)).unwrap();
        assert_eq!(s.steps[plan.step].id, "handoff");
    }

    #[test]
    fn the_fourteen_day_letter_is_never_skipped() {
        let mut s = strategy();
        s.steps[3].effects = vec![Effect::FourteenDayLetter]; // "call" at +21 as the gate
        s.steps[3].min_overdue_minor = 0;
        let plan = decide(&s, &[invoice(1, 0, 10_000, Some(14))], d(40)).unwrap();
        assert_eq!(
            s.steps[plan.step].id, "call",
            "catch-up stops at the 14-day letter"
        );
        let plan = decide(&s, &[invoice(1, 0, 10_000, Some(21))], d(40)).unwrap();
        assert_eq!(
            s.steps[plan.step].id, "demand",
            "after it, the ladder goes on"
        );
    }

    #[test]
    fn paused_invoices_and_heads_up() {
        let s = strategy();
        let mut disputed = invoice(1, 0, 10_000, None);
        disputed.paused = true;
        assert_eq!(decide(&s, &[disputed], d(20)), None);
        let plan = decide(&s, &[invoice(2, 2, 10_000, None)], d(0)).unwrap();
        assert_eq!(
            s.steps[plan.step].id, "heads_up",
            "three days before the due date"
        );
        assert_eq!(
            decide(&s, &[invoice(2, 10, 10_000, None)], d(0)),
            None,
            "too early"
        );
    }
}
