"""Moderation services: the actions on reports, cases and appeals, one module per action.

Edges (views, the consumer, tasks, commands, the admin) parse and call one of these; callers
import the action module they use (`from moderation.services import decide`). Every decision,
action and read of evidence writes an audit entry (moderation.audit); every broadcast and task
enqueue happens after commit. Preconditions and side effects are stated per function.

The map, in the order a case lives it:

- report    — filing a report (only what the reporter could see), its pace, one's own report
- snapshot  — the evidence snapshot a report freezes
- triage    — reports and gate flags join a case, are scored and queued; image matches
              escalate; the sweepers (lost triage tasks, SLA breaches)
- attempts  — what the gate refused or held, counted: repeated attempts open a case on
              the sender and restrict them pending review
- score     — a case's category, priority and SLA; reporters' track records
- interim   — measures before a decision: hiding a message, restricting the subject (a
              cool-down of minutes, first contacts paused until decided), lifting them
- claim     — claiming, releasing and reading a case (with its evidence)
- decide    — deciding a case (one or many): the action, its undo data, strikes, notices
- strikes   — weighted strikes, the step of the escalation ladder a strike reaches proposed
              to a moderator on a case (never applied by itself); a person's record
- strike_rules — the operators' strike weights and ladder, read and changed (the admin)
- appeal    — filing and deciding appeals; a reversal undoes, lifts or reopens
- propose   — room proposals
- retain    — the retention purge
- flaggers  — trusted flaggers (the admin)
- failsafe  — moderation left unattended: minors' rooms tighten, DM requests to minors
              wait, operators are alerted; lifted when a moderator is back

Shared by several of them: shared (settings, enqueues, the open case, the moderator check),
recuse (conflicts of interest), notify (notices to people, events to the moderators' queue),
score and interim (used by triage, attempts, report, propose, decide and appeal). Imports go one way:
the actions import these; of the actions, only appeal imports another (decide, to undo a
decision), and decide imports strikes (its strike and the step it reaches), which reads
strike_rules. No module imports another in a cycle.

No re-exports here: `moderation.services` is this map, and a caller names the action.
"""
