"""A real SMTP server for Falconer's tests, on aiosmtpd.

Each accepted message is written to OUT/N.eml (the bytes as received) and OUT/N.json (the
envelope, the client's address, whether the session was authenticated and encrypted).
OUT/ready appears once the server listens. Options script the server's answers: AUTH
required (PLAIN/LOGIN with one user), STARTTLS or implicit TLS with a given certificate,
answers to DATA in order (e.g. 451 then 250), recipients answered 550.
"""

import argparse
import json
import os
import ssl
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Recorder:
    def __init__(self, out, data_replies, reject):
        self.out = out
        self.data_replies = list(data_replies)
        self.reject = set(reject)
        self.accepted = 0
        self.attempts = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.reject:
            return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.attempts += 1
        with open(os.path.join(self.out, "attempts"), "w") as f:
            f.write(str(self.attempts))
        if self.data_replies:
            reply = self.data_replies.pop(0)
            if not reply.startswith("250"):
                return reply
        self.accepted += 1
        base = os.path.join(self.out, str(self.accepted))
        with open(base + ".eml.tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        with open(base + ".json", "w") as f:
            json.dump(
                {
                    "mail_from": envelope.mail_from,
                    "rcpt_tos": envelope.rcpt_tos,
                    "peer": list(session.peer),
                    "authenticated": bool(session.authenticated),
                    "tls": session.ssl is not None
                    or server.transport.get_extra_info("ssl_object") is not None,
                },
                f,
            )
        os.rename(base + ".eml.tmp", base + ".eml")
        return "250 Message accepted for delivery"


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == user
            and auth_data.password.decode() == password
        )
        return AuthResult(success=ok, handled=False)

    return check


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--auth", help="user:password; AUTH becomes mandatory")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--implicit-tls", action="store_true")
    p.add_argument("--client-ca", help="require client certificates signed by this CA")
    p.add_argument("--data-replies", default="", help="comma list, e.g. '451 4.3.0 busy,250'")
    p.add_argument("--reject", default="", help="comma list of recipients answered 550")
    args = p.parse_args()

    handler = Recorder(
        args.out,
        [r for r in args.data_replies.split(",") if r],
        [r for r in args.reject.split(",") if r],
    )
    kwargs = {}
    context = None
    if args.cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)
        if args.client_ca:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(args.client_ca)
    if context and args.implicit_tls:
        kwargs["ssl_context"] = context
    elif context:
        kwargs["tls_context"] = context
        kwargs["require_starttls"] = True
    if args.auth:
        user, password = args.auth.split(":", 1)
        kwargs["authenticator"] = authenticator(user, password)
        kwargs["auth_required"] = True
        kwargs["auth_require_tls"] = bool(context) and not args.implicit_tls

    controller = Controller(handler, hostname="127.0.0.1", port=args.port, **kwargs)
    controller.start()
    open(os.path.join(args.out, "ready"), "w").close()
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
