"""The retention engine: erase on time, prove it, never too early (GDPR Art. 5(1)(e), 5(2), 17).

- `rules`/`facts`/`verdict`: per relationship, the due date from its activity's rule and the register's dated
  facts (organisation roles, relationship end, last interaction, collection); a person is erased once every
  relationship is due, otherwise trimmed of the due relationships and of the fields no kept one processes.
- `candidates`/`plan`: a SQL prefilter (a superset of who is due) and the read-only plan.
- `sweep`/`erase`: the durable state machine (`retention_sweep` → `retention_task` rows), one transaction per
  batch of tasks holding the deletes, tombstones, audit events and task states together.
- `holds`: legal holds on a person or an organisation (Art. 17(3)(e)).
- `keep`: what an erasure leaves and why (a category's legal minimum, a legal-obligation activity still
  running, a hold), the one answer every erase instruction follows (docs/erasure.md).

Legal minimums (Art. 17(3)(b)), decided here: the register holds no accounting records — invoices live in
the finance system — so a category with `legal_retention` (e.g. `finance.invoice`, Bokföringslagen
(1999:1078) 7 kap. 2 §) is handled as follows. A relationship whose activity processes such a category is
kept, like any other, until its own rule's date; when it is erased before the law's date, its tombstone entry
is `retained_under_law` with that date and the categories kept, and carries no name, email or phone: the
minimal anonymous record that the data may still exist, where, and until when. A later sweep marks it
`released` once the date has passed (the connectors issue will then erase it in the finance system). The
law's date counts from `financial_year.ended`, taken as the end of the calendar year of the relationship's
last record (its end, or its organisation's role end, or a later last interaction) — ASSUMPTION: calendar
financial year. A person kept only by a bookkeeping relationship keeps their name and that relationship and
loses every field bookkeeping does not process (title, email, phone).
"""
