"""What leaves the service: mail to patients (the outbox, its SMTP delivery and retries) and
signed webhooks to the practice's systems. It carries ids and rendered messages; it does not
know how cases are worked."""
