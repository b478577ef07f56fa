"""The development e-mail backend: each e-mail is a log line at INFO (with its
recipients and subject, the body below), in the portal's log format, instead
of raw text on the console."""

import logging

from django.core.mail.backends.base import BaseEmailBackend

logger = logging.getLogger("pdca.mail")


class LoggingEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        for message in email_messages:
            logger.info("E-mail to %s: %s\n%s", ", ".join(message.to), message.subject, message.body)
        return len(email_messages)
