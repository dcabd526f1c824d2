"""Back-office workflows of ldn-intake: the screening engine, its command and (later) tasks."""
