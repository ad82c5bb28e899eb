-- Timeline entries in both languages: `text` is English (and the text of
-- notes, which are kept as written); `text_nl` the Dutch wording, where the
-- entry was written by Tegoed. Entries from before this migration have
-- none and show their English text.
ALTER TABLE timeline_event ADD COLUMN text_nl TEXT;
