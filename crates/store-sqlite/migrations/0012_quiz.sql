-- The policy quiz: who answered which deal, what they said and what the
-- policy decided (the scores per user, and the meeting pack's "who did the
-- training").
CREATE TABLE quiz_answer (
    id           INTEGER PRIMARY KEY,
    user_email   TEXT NOT NULL,
    answered_on  INTEGER NOT NULL,
    customer_id  INTEGER NOT NULL REFERENCES customer (id),
    amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
    terms_days   INTEGER NOT NULL,
    answer       TEXT NOT NULL CHECK (answer IN ('approve', 'conditions', 'prepay')),
    verdict      TEXT NOT NULL CHECK (verdict IN ('approve', 'conditions', 'prepay')),
    rule         TEXT NOT NULL
);
CREATE INDEX quiz_answer_on ON quiz_answer (answered_on);
