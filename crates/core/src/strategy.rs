//! Collection strategies: ladders of steps.
//!
//! A strategy is a ladder of steps, each at an offset in days from the due
//! date (negative: a friendly heads-up before it), with a kind (how severe
//! it is), a channel, a message template, an optional minimum overdue
//! amount and effects. Which step an invoice gets when is decided in
//! [`crate::dunning`].

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

/// What a step is, which orders the steps of every ladder by severity:
/// heads-up < reminder < second reminder < call < demand (the consumer's
/// 14-day letter is one) < final notice < hand-off. When a customer moves to
/// another segment, an invoice continues with the new strategy's first step
/// more severe than the last one it had.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StepKind {
    /// A friendly note before the due date.
    HeadsUp,
    Reminder,
    SecondReminder,
    /// A phone call (a task for a person).
    Call,
    /// A firm request to pay, possibly with interest and costs.
    Demand,
    /// The consumer's 14-day letter (art. 6:96 lid 6 BW): a demand that
    /// announces the collection costs.
    FourteenDayLetter,
    /// The last request before the collection agency.
    FinalNotice,
    /// The claim goes to the collection agency.
    Handoff,
}

impl StepKind {
    pub const ALL: [StepKind; 8] = [
        StepKind::HeadsUp,
        StepKind::Reminder,
        StepKind::SecondReminder,
        StepKind::Call,
        StepKind::Demand,
        StepKind::FourteenDayLetter,
        StepKind::FinalNotice,
        StepKind::Handoff,
    ];

    /// How severe: higher is further up the ladder.
    pub fn severity(self) -> u8 {
        match self {
            StepKind::HeadsUp => 0,
            StepKind::Reminder => 1,
            StepKind::SecondReminder => 2,
            StepKind::Call => 3,
            StepKind::Demand | StepKind::FourteenDayLetter => 4,
            StepKind::FinalNotice => 5,
            StepKind::Handoff => 6,
        }
    }

    /// A demand or more: such a message demands only money that is due.
    pub fn is_formal(self) -> bool {
        self.severity() >= StepKind::Demand.severity()
    }

    pub fn as_str(self) -> &'static str {
        match self {
            StepKind::HeadsUp => "heads_up",
            StepKind::Reminder => "reminder",
            StepKind::SecondReminder => "second_reminder",
            StepKind::Call => "call",
            StepKind::Demand => "demand",
            StepKind::FourteenDayLetter => "fourteen_day_letter",
            StepKind::FinalNotice => "final_notice",
            StepKind::Handoff => "handoff",
        }
    }

    pub fn parse(text: &str) -> Option<StepKind> {
        StepKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// The kind a step id suggests (`collector_call` is a call), for steps
    /// configured without a kind.
    pub fn from_step_id(id: &str) -> Option<StepKind> {
        StepKind::parse(id).or_else(|| {
            let id = id.to_ascii_lowercase();
            [
                ("heads_up", StepKind::HeadsUp),
                ("second_reminder", StepKind::SecondReminder),
                ("reminder", StepKind::Reminder),
                ("call", StepKind::Call),
                ("fourteen", StepKind::FourteenDayLetter),
                ("final", StepKind::FinalNotice),
                ("demand", StepKind::Demand),
                ("handoff", StepKind::Handoff),
            ]
            .into_iter()
            .find(|(part, _)| id.contains(part))
            .map(|(_, kind)| kind)
        })
    }
}

/// One rung of the ladder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub id: String,
    pub kind: StepKind,
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
    /// What people read: `name_nl`/`name_en` from the settings.
    pub name_nl: String,
    pub name_en: String,
    /// Template variant: "warm", "light", "firm", "neutral", "consumer".
    pub tone: String,
    pub steps: Vec<Step>,
}

impl Strategy {
    pub fn name(&self, language: crate::Language) -> &str {
        match language {
            crate::Language::Nl => &self.name_nl,
            crate::Language::En => &self.name_en,
        }
    }

    /// The index of the step with this id.
    pub fn position(&self, step_id: &str) -> Option<usize> {
        self.steps.iter().position(|s| s.id == step_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_ordered_by_severity_and_read_from_step_ids() {
        let order: Vec<u8> = [
            StepKind::HeadsUp,
            StepKind::Reminder,
            StepKind::SecondReminder,
            StepKind::Call,
            StepKind::Demand,
            StepKind::FinalNotice,
            StepKind::Handoff,
        ]
        .iter()
        .map(|k| k.severity())
        .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
        assert_eq!(
            StepKind::FourteenDayLetter.severity(),
            StepKind::Demand.severity()
        );
        for kind in StepKind::ALL {
            assert_eq!(StepKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(
            StepKind::from_step_id("collector_call"),
            Some(StepKind::Call)
        );
        assert_eq!(
            StepKind::from_step_id("second_reminder"),
            Some(StepKind::SecondReminder)
        );
        assert_eq!(StepKind::from_step_id("nudge"), None);
    }
}
