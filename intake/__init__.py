"""The ldn-intake web application (patient intake, staff pages and JSON API).

Built on the screening engine in ``workflows.screening``; the application factory arrives with
the patient intake.
"""
