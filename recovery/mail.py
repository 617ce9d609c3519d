"""Mail failures described without the addresses in them, for every kind of email we send.

A reminder's last_error, an invitation's email_error and the logs keep what went wrong; none
of them is encrypted or wiped on erasure, so none may keep whose address it was.
"""

import re
import smtplib

# Anything shaped like an email address, with its angle brackets if it has them; a quoted
# local part ("riley smith"@...) and an apostrophe (o'brien@...) count too. Over-matching a
# little (a quote or brace just before the address) is the safe way round.
_EMAIL_ADDRESS = re.compile(r"""<?(?:"[^"\r\n]*"|[^\s<>"(),;:\[\]]+)@[^\s<>"'(),;:]+>?""")


def redact_addresses(text: str) -> str:
    """`text` with every email address in it replaced by "<address>"."""
    return _EMAIL_ADDRESS.sub("<address>", text)


def _smtp_reply(code: int, message: bytes | str) -> str:
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    return f"{code} {redact_addresses(message)}"


def describe_mail_error(error: BaseException) -> str:
    """What went wrong, for Reminder.last_error and the logs, with no email address in it.

    str() of an SMTP error is unfit for both: SMTPRecipientsRefused's is a dict keyed by the
    recipient's address, SMTPSenderRefused's ends with the sender's, and servers often echo
    an address in their text ("5.1.1 <riley@example.net>: Recipient address rejected"). The
    address is encrypted at rest and wiped on erasure; last_error and the logs are neither.
    Kept: the exception's class, the SMTP code(s) and the server's words.
    """
    name = type(error).__name__
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        replies = "; ".join(_smtp_reply(code, text) for code, text in error.recipients.values())
        return f"{name}: {replies}"
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{name}: {_smtp_reply(error.smtp_code, error.smtp_error)}"
    return f"{name}: {redact_addresses(str(error))}"
