"""CRM: customers, interactions, cases and users as SQLAlchemy models, with their queries.

Owns the SQL database (SQLite by default, PostgreSQL in production). Must not import
cti, acd, ivr, agent_console or sim.
"""
