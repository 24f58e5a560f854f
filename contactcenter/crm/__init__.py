"""CRM: customers, interactions, complaints and users as SQLAlchemy models, with their queries.

Owns the SQL database (SQLite by default, PostgreSQL in production). Must not import
cti, acd, ivr, agent_console or sim.

Open with `database.Database.open(url)` (migrates to the newest schema); then the query
objects `customers.Customers`, `users.Users`, `interactions.Interactions`,
`complaints.Complaints` (their workflow is the pure table in complaint_workflow.py),
`logins.Logins` (console sessions, failed logins) and `audit.AuditLog` each take the
Database; `wrapup.wrap_up_with_complaint` saves a wrap-up and its complaint in one
transaction. They are synchronous and every call is one short transaction: async code
calls them with `asyncio.to_thread`. They return frozen records (records.py;
`records.as_json` for JSON) and raise errors.ValidationError (with the field),
errors.Conflict, errors.NotFound or errors.RefusedTransition, having written nothing.
"""
