"""A throwaway Dovecot IMAP server on loopback, for the tests that read bounces over IMAP.

Debian's dovecot-imapd (scripts/test installs it) runs in the foreground with a
configuration of its own under a temporary folder: one user with a password, plain IMAP on
127.0.0.1 only, mail kept as a Maildir there. As root it hands the mail to ``nobody``
(Dovecot refuses uid 0 for mail); as another user it runs rootless, as that user.
"""

from __future__ import annotations

import contextlib
import getpass
import grp
import imaplib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.served import free_port

DOVECOT = "/usr/sbin/dovecot"


@dataclass(frozen=True)
class ImapServer:
    port: int
    username: str
    password: str

    def connect(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        client.login(self.username, self.password)
        return client


def available() -> bool:
    return Path(DOVECOT).is_file()


@contextlib.contextmanager
def dovecot() -> Iterator[ImapServer]:
    """Run Dovecot with its state and mail in a folder of its own until the block ends."""
    # Not under pytest's tmp_path: Dovecot's own users must reach the files, and pytest's
    # folders are private to their owner.
    folder = Path(tempfile.mkdtemp(prefix="trustsurvey-imap."))
    folder.chmod(0o755)
    run, mail = folder / "run", folder / "mail"
    run.mkdir()
    mail.mkdir()
    if os.geteuid() == 0:
        owner, group = "nobody", grp.getgrgid(pwd.getpwnam("nobody").pw_gid).gr_name
        shutil.chown(mail, owner, group)
        rootless = ""
    else:
        owner, group = getpass.getuser(), grp.getgrgid(os.getegid()).gr_name
        rootless = f"default_internal_user = {owner}\ndefault_login_user = {owner}\n"
    port = free_port()
    server = ImapServer(port, "bounces", "bounce-secret")
    (folder / "users").write_text(f"{server.username}:{{PLAIN}}{server.password}\n")
    config = folder / "dovecot.conf"
    config.write_text(
        f"""base_dir = {run}
state_dir = {run}
log_path = {folder / "dovecot.log"}
{rootless}protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
mail_location = maildir:{mail}/%u
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = {folder / "users"}
}}
userdb {{
  driver = static
  args = uid={owner} gid={group} home={mail}/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""
    )
    process = subprocess.Popen([DOVECOT, "-F", "-c", str(config)])
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                server.connect().logout()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log = (folder / "dovecot.log").read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"dovecot did not start: {log}") from None
                time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(folder, ignore_errors=True)
