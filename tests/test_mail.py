"""Mail drafts, SMTP sending with its send log, and reminders — against a real SMTP server (aiosmtpd) on
127.0.0.1, plain, STARTTLS and SSL with a certificate made here."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import hashlib
import importlib.util
import ipaddress
import socket
import ssl
from dataclasses import dataclass, field
from email import policy
from email.header import decode_header, make_header
from email.parser import BytesParser
from io import BytesIO
from pathlib import Path

import pytest
import xlsxwriter
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from click.testing import CliRunner

from zonekit import layout, mail
from zonekit.cli import main
from zonekit.errors import MailError
from zonekit.issues import ERROR, Issue
from zonekit.project import Assignment, MailSettings, Project, Unit
from zonekit.scheme import load_scheme

TEMPLATES = {
    "下发": ("关于报送{地区}网络市场监管与服务示范区创建材料的通知（{单位}）",
           "{单位}：\n请于{截止日期}前填好附件《{附件}》（共{指标数}项指标）并回复本邮件。\n联系人：{联系人}，电话：{联系电话}，邮箱：{联系邮箱}"),
    "催报": ("【催报】{单位}：示范区创建填报表尚未报送",
           "{单位}：\n截至今日尚未收到贵单位的填报表，请于{截止日期}前报送。附件为原填报表《{附件}》。"),
    "退回": ("【退回】{单位}：示范区创建填报表需修改后重报",
           "{单位}：\n贵单位报送的填报表有以下问题，请修改后重新报送：\n{问题清单}\n附件为原填报表《{附件}》。"),
}
SENDER_NAME = "新绛县网络市场监管与服务示范区创建办公室"

# unit -> addresses as the clerk typed them in 单位名单
UNITS = {
    "县商务局": ["sw@xj.gov.cn"],
    "县市场监督管理局": ["scj@xj.gov.cn；wang.fang@xj.gov.cn"],
    "县发展和改革局": ["fgj@xj.gov.cn"],
    "县工业和信息化局": ["gxj@xj.gov.cn"],
    "县财政局": [],
}


@dataclass
class Entry:  # the shape of zonekit.generate.ManifestEntry
    unit: str
    path: Path
    sha256: str
    indicators: int
    generated_at: str = "2024-05-20T09:00:00"


@dataclass
class Status:  # the shape of zonekit.collect.UnitStatus
    unit: str
    state: str
    last_file: str = ""
    received_at: str = ""
    missing: list = field(default_factory=list)
    issues: list = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_project(root: Path, port: int = 25, *, security: str = "无", user: str = "", units=UNITS) -> Project:
    return Project(
        root=root, project_id="XJ-2024", region="新绛县", province="山西省", region_class="中部",
        scheme=load_scheme("2022"), years=[2023], deadline=dt.date(2024, 6, 30), office="新绛县创建办",
        contact="王芳", phone="0359-7521234", email="cjb@xj.gov.cn",
        mail=MailSettings(host="127.0.0.1", port=port, security=security, user=user, sender="cjb@163.com",
                          sender_name=SENDER_NAME, pause=0),
        units=[Unit(name, emails=list(emails)) for name, emails in units.items()],
        mail_templates=dict(TEMPLATES))


def workbook_name(unit: str) -> str:
    return f"{unit}-网络市场监管与服务示范区创建填报表.xlsx"


def make_manifest(project: Project) -> list[Entry]:
    """One small real workbook per unit in 1-下发, as generate would leave them."""
    entries = []
    for n, unit in enumerate(project.units, 1):
        path = project.outgoing / workbook_name(unit.name)
        path.parent.mkdir(parents=True, exist_ok=True)
        book = xlsxwriter.Workbook(str(path), {"in_memory": True})
        sheet = book.add_worksheet(layout.SHEET_INDICATORS)
        sheet.write_row(0, 0, ["单位", unit.name, "指标数", n])
        book.close()
        entries.append(Entry(unit.name, path, hashlib.sha256(path.read_bytes()).hexdigest(), n))
    return entries


class Inbox:
    """An aiosmtpd handler that keeps what arrives; it can refuse addresses and misbehave on given messages
    (numbers are 1-based counts of MAIL or DATA commands):

    drop_on       the message arrives, the server loses it and cuts the line before replying;
    stored_drop   the message is stored, then the line is cut before the 250 reply;
    late          the message is stored and the 250 comes ``delay`` seconds later;
    drop_at_mail  the line is cut at MAIL FROM, before the message is sent."""

    def __init__(self, refuse=(), drop_on=(), stored_drop=(), late=(), delay=0.0, drop_at_mail=()):
        self.refuse = set(refuse)
        self.drop_on, self.stored_drop, self.late = set(drop_on), set(stored_drop), set(late)
        self.delay = delay
        self.drop_at_mail = set(drop_at_mail)
        self.data_count = self.mail_count = 0
        self.received: list[tuple[list[str], bytes]] = []

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        self.mail_count += 1
        if self.mail_count in self.drop_at_mail:
            server.transport.close()
            return "421 closing"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.data_count += 1
        if self.data_count in self.drop_on:
            server.transport.close()
            return "421 closing"
        self.received.append((list(envelope.rcpt_tos), envelope.content))
        if self.data_count in self.stored_drop:
            server.transport.close()
            return "421 closing"
        if self.data_count in self.late:
            await asyncio.sleep(self.delay)
        return "250 Message accepted for delivery"

    def messages(self):
        return [BytesParser(policy=policy.default).parsebytes(raw) for _, raw in self.received]

    def units(self) -> list[str]:
        return [decoded(m, "Subject").rpartition("（")[2].rstrip("）") for m in self.messages()]


@pytest.fixture
def smtp_server():
    """start(handler, **controller_kwargs) -> port; every server is stopped after the test."""
    started = []

    def start(handler, **kwargs):
        port = free_port()  # port 0 breaks aiosmtpd's readiness check
        controller = Controller(handler, hostname="127.0.0.1", port=port, **kwargs)
        controller.start()
        started.append(controller)
        return port

    yield start
    for controller in started:
        controller.stop()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1: (server context, client context that trusts it)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=7))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                        x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert_file, key_file)
    client = ssl.create_default_context(cafile=str(cert_file))
    return server, client


def password_check(server, session, envelope, mechanism, auth_data):
    ok = (auth_data.login, auth_data.password) == (b"cjb@163.com", b"right-code")
    return AuthResult(success=ok, handled=False)


def decoded(message, header: str) -> str:
    """A header as a mail client shows it (RFC 2047 decoding; policy.default puts a space between the
    encoded words of a display name, which clients do not)."""
    raw = BytesParser(policy=policy.compat32).parsebytes(message.as_bytes(policy=policy.compat32))[header]
    return str(make_header(decode_header(raw)))


def attachment_of(message):
    parts = list(message.iter_attachments())
    assert len(parts) == 1
    return parts[0]


def log_rows(project: Project) -> list[dict]:
    with open(project.root / layout.SEND_LOG, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


# ------------------------------------------------------------------ composing


def test_compose__chinese_subject_sender_and_file_name__encoded_for_every_client(tmp_path):
    project = make_project(tmp_path)
    manifest = make_manifest(project)
    plan = mail.plan_mail(project, manifest, only=["县商务局"])
    raw = plan.messages[0].as_bytes()

    raw.decode("ascii")  # every header encoded (RFC 2047 / 2231), body and attachment base64
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    assert b"filename*" in raw  # RFC 2231 on Content-Disposition
    assert b'name="=?utf-8?b?' in raw  # RFC 2047 on Content-Type, which Outlook and Foxmail read
    assert max(len(line) for line in raw.split(b"\r\n")) <= 80

    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert decoded(message, "Subject") == "关于报送新绛县网络市场监管与服务示范区创建材料的通知（县商务局）"
    assert decoded(message, "From") == f"{SENDER_NAME} <cjb@163.com>"
    assert message["To"] == "sw@xj.gov.cn"
    assert message["Reply-To"] == "cjb@xj.gov.cn"
    part = attachment_of(message)
    assert part.get_filename() == workbook_name("县商务局")
    assert part.get_content_type() == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert part.get_content() == manifest[0].path.read_bytes()
    assert message.get_body().get_content() == (
        "县商务局：\n请于2024年6月30日前填好附件《县商务局-网络市场监管与服务示范区创建填报表.xlsx》（共1项指标）并回复本邮件。\n"
        "联系人：王芳，电话：0359-7521234，邮箱：cjb@xj.gov.cn\n")


def test_compose__content_type_name_only__file_name_still_decodes(tmp_path):
    # a client that ignores Content-Disposition (old Outlook) reads name= from Content-Type
    project = make_project(tmp_path)
    plan = mail.plan_mail(project, make_manifest(project), only=["县市场监督管理局"])
    legacy = BytesParser(policy=policy.compat32).parsebytes(plan.messages[0].as_bytes())
    part = [p for p in legacy.walk() if p.get_content_maintype() == "application"][0]
    name = part.get_param("name")
    assert str(make_header(decode_header(name))) == workbook_name("县市场监督管理局")


def test_compose__several_addresses_in_one_cell__all_in_to(tmp_path):
    project = make_project(tmp_path)
    plan = mail.plan_mail(project, make_manifest(project), only=["县市场监督管理局"])
    assert plan.messages[0].to == ["scj@xj.gov.cn", "wang.fang@xj.gov.cn"]
    assert plan.messages[0].message["To"] == "scj@xj.gov.cn, wang.fang@xj.gov.cn"


def test_compose__unknown_placeholder__chinese_message_naming_it(tmp_path):
    project = make_project(tmp_path)
    project.mail_templates["下发"] = ("{单位}的通知", "请于{截至日期}前报送。")
    with pytest.raises(MailError) as err:
        mail.plan_mail(project, make_manifest(project))
    assert "{截至日期}" in str(err.value) and "邮件模板" in str(err.value) and "{截止日期}" in str(err.value)


def test_compose__placeholder_without_value__says_where_to_fill_it(tmp_path):
    project = make_project(tmp_path)
    project.deadline = None
    with pytest.raises(MailError) as err:
        mail.plan_mail(project, make_manifest(project))
    assert "{截止日期}" in str(err.value) and "填报截止日期" in str(err.value)


def test_compose__problem_list_in_a_send_template__refused_with_advice(tmp_path):
    project = make_project(tmp_path)
    project.mail_templates["下发"] = ("{单位}", "{问题清单}")
    with pytest.raises(MailError, match="问题清单"):
        mail.plan_mail(project, make_manifest(project))


def test_compose__missing_template__names_the_sheet_and_purpose(tmp_path):
    project = make_project(tmp_path)
    del project.mail_templates["下发"]
    with pytest.raises(MailError, match="邮件模板.*「下发」"):
        mail.plan_mail(project, make_manifest(project))


def test_compose__full_width_braces_and_spaces__filled(tmp_path):
    project = make_project(tmp_path)
    project.mail_templates["下发"] = ("｛单位｝通知", "{ 地区 }：{截止日期}")
    message = mail.plan_mail(project, make_manifest(project), only=["县商务局"]).messages[0].message
    assert message["Subject"] == "县商务局通知"
    assert message.get_body().get_content() == "新绛县：2024年6月30日\n"


def test_plan_mail__units_without_or_with_bad_address__listed_not_mailed(tmp_path):
    units = dict(UNITS, 县文化和旅游局=["wl at xj.gov.cn"])
    project = make_project(tmp_path, units=units)
    plan = mail.plan_mail(project, make_manifest(project))
    assert [m.unit for m in plan.messages] == ["县商务局", "县市场监督管理局", "县发展和改革局", "县工业和信息化局"]
    assert [(i.code, i.unit) for i in plan.issues] == [("M001", "县财政局"), ("M002", "县文化和旅游局")]
    assert all(i.severity == ERROR and "单位名单" in i.message for i in plan.issues)


def test_plan_mail__workbook_not_generated_or_gone__listed(tmp_path):
    project = make_project(tmp_path)
    number = project.scheme.indicators[0].number
    project.assignments = {number: Assignment(number, leads=["县商务局"])}
    manifest = make_manifest(project)
    manifest[1].path.unlink()
    plan = mail.plan_mail(project, manifest[1:])
    assert [(i.code, i.unit) for i in plan.issues][:2] == [("M003", "县商务局"), ("M004", "县市场监督管理局")]
    assert "zonekit generate" in plan.issues[0].message


def test_plan_mail__unit_with_no_indicators_and_no_workbook__noted_not_an_error(tmp_path):
    project = make_project(tmp_path)
    plan = mail.plan_mail(project, make_manifest(project)[1:])
    assert [(i.code, i.severity) for i in plan.issues][0] == ("M006", "警告")


def test_plan_mail__only_unknown_unit__close_names_suggested(tmp_path):
    project = make_project(tmp_path)
    with pytest.raises(MailError, match="县商务局"):
        mail.plan_mail(project, make_manifest(project), only=["商务局"])


# ------------------------------------------------------------------ drafts


def test_write_drafts__one_eml_per_unit__parses_back_with_the_workbook(tmp_path):
    project = make_project(tmp_path)
    manifest = make_manifest(project)
    result = mail.write_drafts(project, mail.plan_mail(project, manifest))

    folder = tmp_path / layout.OUTGOING_DIR / layout.DRAFTS_DIR
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        f"下发-{u}.eml" for u in ["县商务局", "县市场监督管理局", "县发展和改革局", "县工业和信息化局"])
    assert [i.unit for i in result.plan.issues] == ["县财政局"]
    for entry in manifest[:4]:
        raw = (folder / f"下发-{entry.unit}.eml").read_bytes()
        assert raw.startswith(b"X-Unsent: 1\r\n")  # Outlook opens it as a message ready to send
        message = BytesParser(policy=policy.default).parsebytes(raw)
        part = attachment_of(message)
        assert part.get_filename() == workbook_name(entry.unit)
        assert part.get_content() == entry.path.read_bytes()
        assert decoded(message, "Subject").endswith(f"（{entry.unit}）")


def test_write_drafts__project_given_relative_to_the_working_folder__drafts_in_the_project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # `zonekit mail 项目 --drafts` from the project's parent folder
    (tmp_path / "项目").mkdir()
    project = make_project(Path("项目"))
    mail.write_drafts(project, mail.plan_mail(project, make_manifest(project)))
    folder = tmp_path / "项目" / layout.OUTGOING_DIR / layout.DRAFTS_DIR
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        f"下发-{u}.eml" for u in ["县商务局", "县市场监督管理局", "县发展和改革局", "县工业和信息化局"])


def test_write_drafts__one_draft_cannot_be_replaced__no_draft_changed(tmp_path):
    from zonekit.errors import OutputError
    from zonekit.files import STAGING_DIR

    project = make_project(tmp_path)
    manifest = make_manifest(project)
    mail.write_drafts(project, mail.plan_mail(project, manifest, now=dt.datetime(2024, 5, 1, 9)))
    folder = tmp_path / layout.OUTGOING_DIR / layout.DRAFTS_DIR
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    blocked = folder / "下发-县商务局.eml"
    blocked.unlink()
    blocked.mkdir()  # something took the draft's name: the run must not leave the others half new
    with pytest.raises(OutputError, match="下发-县商务局.eml」是一个文件夹"):
        mail.write_drafts(project, mail.plan_mail(project, manifest, now=dt.datetime(2024, 5, 2, 9)))
    after = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    assert after == {k: v for k, v in before.items() if k != blocked.name}
    assert not (folder / STAGING_DIR).exists()


def test_write_drafts__project_folder_given_relatively__drafts_in_their_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    project = make_project(Path("项目"))
    result = mail.write_drafts(project, mail.plan_mail(project, make_manifest(project)))
    folder = tmp_path / "项目" / layout.OUTGOING_DIR / layout.DRAFTS_DIR
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in result.written) and result.written


def test_write_drafts__dry_run__writes_nothing(tmp_path):
    project = make_project(tmp_path)
    result = mail.write_drafts(project, mail.plan_mail(project, make_manifest(project)), dry_run=True)
    assert len(result.written) == 4
    assert not (tmp_path / layout.OUTGOING_DIR / layout.DRAFTS_DIR).exists()


def test_write_drafts__unit_since_returned__its_old_reminder_removed(tmp_path):
    project = make_project(tmp_path)
    manifest = make_manifest(project)
    statuses = [Status("县商务局", "未报"), Status("县发展和改革局", "逾期")]
    mail.write_drafts(project, mail.plan_reminders(project, manifest, statuses))
    statuses[0].state = "已报"
    result = mail.write_drafts(project, mail.plan_reminders(project, manifest, statuses))
    folder = tmp_path / layout.OUTGOING_DIR / layout.DRAFTS_DIR
    assert [p.name for p in folder.iterdir()] == ["催报-县发展和改革局.eml"]
    assert [p.name for p in result.removed] == ["催报-县商务局.eml"]


# ------------------------------------------------------------------ sending


def test_send__local_server__each_unit_gets_its_workbook_with_names_intact(tmp_path, smtp_server):
    inbox = Inbox()
    project = make_project(tmp_path, smtp_server(inbox))
    manifest = make_manifest(project)
    result = mail.send(project, mail.plan_mail(project, manifest))

    assert result.ok is False  # 县财政局 has no address
    assert result.count(mail.SENT) == 4 and not result.stopped
    by_unit = {e.unit: e for e in manifest}
    assert [rcpt for rcpt, _ in inbox.received] == [
        ["sw@xj.gov.cn"], ["scj@xj.gov.cn", "wang.fang@xj.gov.cn"], ["fgj@xj.gov.cn"], ["gxj@xj.gov.cn"]]
    for message, unit in zip(inbox.messages(), inbox.units()):
        part = attachment_of(message)
        assert part.get_filename() == workbook_name(unit)
        assert part.get_content() == by_unit[unit].path.read_bytes()
        assert decoded(message, "From") == f"{SENDER_NAME} <cjb@163.com>"
    assert decoded(inbox.messages()[0], "Subject") == "关于报送新绛县网络市场监管与服务示范区创建材料的通知（县商务局）"

    rows = log_rows(project)
    assert list(rows[0]) == list(mail.LOG_COLUMNS)
    assert [(r["单位"], r["用途"], r["轮次"], r["结果"]) for r in rows] == [
        (u, "下发", "第1轮", "成功") for u in ["县商务局", "县市场监督管理局", "县发展和改革局", "县工业和信息化局"]]
    assert rows[1]["收件人"] == "scj@xj.gov.cn; wang.fang@xj.gov.cn"
    assert rows[0]["附件SHA256"] == by_unit["县商务局"].sha256
    assert rows[0]["邮件ID"] == inbox.messages()[0]["Message-ID"]


def test_send__run_again__nothing_sent_twice_unless_resend(tmp_path, smtp_server):
    inbox = Inbox()
    project = make_project(tmp_path, smtp_server(inbox))
    manifest = make_manifest(project)
    mail.send(project, mail.plan_mail(project, manifest))
    again = mail.send(project, mail.plan_mail(project, manifest))
    assert again.count(mail.SKIPPED) == 4 and again.count(mail.SENT) == 0
    assert len(inbox.received) == 4

    resent = mail.send(project, mail.plan_mail(project, manifest, only=["县商务局"]), resend=True)
    assert resent.count(mail.SENT) == 1 and len(inbox.received) == 5


def test_send__regenerated_workbook__sent_again(tmp_path, smtp_server):
    inbox = Inbox()
    project = make_project(tmp_path, smtp_server(inbox))
    manifest = make_manifest(project)
    mail.send(project, mail.plan_mail(project, manifest, only=["县商务局"]))
    manifest[0].path.write_bytes(manifest[0].path.read_bytes() + b"\0")
    manifest[0].sha256 = hashlib.sha256(manifest[0].path.read_bytes()).hexdigest()
    result = mail.send(project, mail.plan_mail(project, manifest, only=["县商务局"]))
    assert result.count(mail.SENT) == 1 and len(inbox.received) == 2


def test_send__dry_run__nothing_sent_nothing_logged_no_password_asked(tmp_path, smtp_server):
    inbox = Inbox()
    project = make_project(tmp_path, smtp_server(inbox), user="cjb@163.com")

    def no_prompt():
        raise AssertionError("a dry run must not ask for the password")

    result = mail.send(project, mail.plan_mail(project, make_manifest(project)), dry_run=True, password=no_prompt)
    assert result.count(mail.WOULD_SEND) == 4
    assert inbox.received == [] and not (tmp_path / layout.SEND_LOG).exists()


def test_send__pause__between_messages_only(tmp_path, smtp_server):
    project = make_project(tmp_path, smtp_server(Inbox()))
    pauses = []
    mail.send(project, mail.plan_mail(project, make_manifest(project)), pause=2.5, sleep=pauses.append)
    assert pauses == [2.5, 2.5, 2.5]


@pytest.fixture(params=["STARTTLS", "SSL"])
def tls_project(request, tmp_path, smtp_server, certificate):
    """(project, inbox, client ssl context) against a server that wants a login over STARTTLS or SSL."""
    server_ctx, client_ctx = certificate
    inbox = Inbox()
    if request.param == "STARTTLS":
        port = smtp_server(inbox, tls_context=server_ctx, require_starttls=True, auth_required=True,
                           authenticator=password_check)
    else:  # aiosmtpd cannot tell that an implicit-SSL connection is encrypted, hence auth_require_tls=False
        port = smtp_server(inbox, ssl_context=server_ctx, auth_required=True, auth_require_tls=False,
                           authenticator=password_check)
    return make_project(tmp_path, port, security=request.param, user="cjb@163.com"), inbox, client_ctx


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_send__tls_self_signed_with_login__delivered(tls_project):
    project, inbox, client_ctx = tls_project
    manifest = make_manifest(project)
    asked = []
    result = mail.send(project, mail.plan_mail(project, manifest),
                       password=lambda: asked.append(1) or "right-code", ssl_context=client_ctx)
    assert result.count(mail.SENT) == 4 and not result.stopped
    assert asked == [1]  # asked once, when the login needs it
    for message, entry in zip(inbox.messages(), manifest):
        part = attachment_of(message)
        assert part.get_filename() == workbook_name(entry.unit)
        assert part.get_content() == entry.path.read_bytes()
        assert decoded(message, "Subject").endswith(f"（{entry.unit}）")


def test_send__untrusted_certificate__stops_with_chinese_message(tmp_path, smtp_server, certificate):
    server_ctx, _ = certificate
    inbox = Inbox()
    port = smtp_server(inbox, ssl_context=server_ctx)
    project = make_project(tmp_path, port, security="SSL")
    result = mail.send(project, mail.plan_mail(project, make_manifest(project)))  # system trust store
    assert "加密连接失败" in result.stopped and "没有发送任何邮件" in result.stopped
    assert inbox.received == []


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_send__wrong_password__run_stops_with_chinese_message(tls_project):
    project, inbox, client_ctx = tls_project
    result = mail.send(project, mail.plan_mail(project, make_manifest(project)), password="wrong",
                       ssl_context=client_ctx)
    assert "用户名或密码不对" in result.stopped and "授权码" in result.stopped
    assert "没有发送任何邮件" in result.stopped
    assert result.outcomes == [] and inbox.received == []
    assert not (project.root / layout.SEND_LOG).exists()
    assert "wrong" not in result.stopped


def test_send__refused_recipient__logged_for_that_unit_and_run_goes_on(tmp_path, smtp_server):
    inbox = Inbox(refuse={"fgj@xj.gov.cn"})
    project = make_project(tmp_path, smtp_server(inbox))
    manifest = make_manifest(project)
    result = mail.send(project, mail.plan_mail(project, manifest))

    assert [(o.unit, o.result) for o in result.outcomes] == [
        ("县商务局", mail.SENT), ("县市场监督管理局", mail.SENT), ("县发展和改革局", mail.FAILED),
        ("县工业和信息化局", mail.SENT)]
    assert "fgj@xj.gov.cn" in result.outcomes[2].detail and "被拒收" in result.outcomes[2].detail
    assert [r["结果"] for r in log_rows(project)] == ["成功", "成功", "失败", "成功"]

    # the address is corrected in 单位名单: a re-run sends only that unit
    inbox.refuse.clear()
    again = mail.send(project, mail.plan_mail(project, manifest))
    assert [o.unit for o in again.outcomes if o.result == mail.SENT] == ["县发展和改革局"]
    assert sorted(inbox.units()) == sorted(["县商务局", "县市场监督管理局", "县发展和改革局", "县工业和信息化局"])


def test_send__one_of_two_addresses_refused__sent_and_noted(tmp_path, smtp_server):
    inbox = Inbox(refuse={"wang.fang@xj.gov.cn"})
    project = make_project(tmp_path, smtp_server(inbox))
    result = mail.send(project, mail.plan_mail(project, make_manifest(project), only=["县市场监督管理局"]))
    assert result.outcomes[0].result == mail.SENT and "wang.fang@xj.gov.cn" in result.outcomes[0].detail
    assert inbox.received[0][0] == ["scj@xj.gov.cn"]


def test_send__connection_dropped_before_the_message__reconnects_and_each_unit_delivered_once(tmp_path,
                                                                                            smtp_server):
    inbox = Inbox(drop_at_mail={3})  # cut at MAIL FROM: nothing of the 3rd message went out, so it is retried
    project = make_project(tmp_path, smtp_server(inbox))
    manifest = make_manifest(project)
    result = mail.send(project, mail.plan_mail(project, manifest))

    assert not result.stopped
    assert inbox.units() == ["县商务局", "县市场监督管理局", "县发展和改革局", "县工业和信息化局"]
    assert [(r["单位"], r["结果"]) for r in log_rows(project)] == [
        ("县商务局", "成功"), ("县市场监督管理局", "成功"), ("县发展和改革局", "失败"), ("县发展和改革局", "成功"),
        ("县工业和信息化局", "成功")]
    assert "没有发出" in log_rows(project)[2]["说明"]
    assert mail.send(project, mail.plan_mail(project, manifest)).count(mail.SENT) == 0


def test_send__server_stores_then_drops_before_reply__unknown_and_never_sent_twice(tmp_path, smtp_server):
    inbox = Inbox(stored_drop={2})
    project = make_project(tmp_path, smtp_server(inbox))
    manifest = make_manifest(project)
    first = mail.send(project, mail.plan_mail(project, manifest))

    assert [(o.unit, o.result) for o in first.outcomes] == [
        ("县商务局", mail.SENT), ("县市场监督管理局", mail.UNKNOWN), ("县发展和改革局", mail.SENT),
        ("县工业和信息化局", mail.SENT)]
    assert [o.unit for o in first.unsure] == ["县市场监督管理局"]
    assert [(r["单位"], r["结果"]) for r in log_rows(project)][1] == ("县市场监督管理局", "状态不明")
    assert "可能已经送达" in log_rows(project)[1]["说明"]

    second = mail.send(project, mail.plan_mail(project, manifest))  # the next --send: listed, not sent
    assert [(o.unit, o.result) for o in second.outcomes if o.result != mail.SKIPPED] == [
        ("县市场监督管理局", mail.HELD)]
    assert "没有重发" in second.unsure[0].detail
    assert sorted(inbox.units()) == sorted(["县商务局", "县市场监督管理局", "县发展和改革局", "县工业和信息化局"])

    asked = []

    def clerk_checked(out, row):  # the clerk finds it in the unit's inbox
        asked.append((out.unit, row["结果"]))
        return mail.CONFIRM_RECEIVED

    third = mail.send(project, mail.plan_mail(project, manifest), confirm=clerk_checked)
    assert asked == [("县市场监督管理局", "状态不明")] and not third.unsure
    assert [o.result for o in third.outcomes if o.unit == "县市场监督管理局"] == [mail.CONFIRMED]
    assert mail.send(project, mail.plan_mail(project, manifest), confirm=clerk_checked).count(mail.SKIPPED) == 4
    assert len(inbox.received) == 4  # every unit has exactly one copy


def test_send__reply_after_the_timeout__unknown_not_resent(tmp_path, smtp_server):
    inbox = Inbox(late={1}, delay=1.5)  # stored at once, answered 1.5 s later: past the 0.4 s timeout
    project = make_project(tmp_path, smtp_server(inbox))
    project.mail.timeout = 0.4
    manifest = make_manifest(project)
    first = mail.send(project, mail.plan_mail(project, manifest, only=["县商务局", "县发展和改革局"]))

    assert [(o.unit, o.result) for o in first.outcomes] == [("县商务局", mail.UNKNOWN),
                                                              ("县发展和改革局", mail.SENT)]
    again = mail.send(project, mail.plan_mail(project, manifest, only=["县商务局", "县发展和改革局"]))
    assert [o.result for o in again.outcomes] == [mail.HELD, mail.SKIPPED]
    assert inbox.units() == ["县商务局", "县发展和改革局"]


def test_send__lost_twice__stops_and_resend_unknown_sends_only_those(tmp_path, smtp_server):
    inbox = Inbox(drop_on={3, 4})  # the server loses the 3rd and the 4th message and cuts the line each time
    project = make_project(tmp_path, smtp_server(inbox))
    manifest = make_manifest(project)
    first = mail.send(project, mail.plan_mail(project, manifest))

    assert "再次中断" in first.stopped and "只会发送其余单位" in first.stopped
    assert inbox.units() == ["县商务局", "县市场监督管理局"]
    assert [(r["单位"], r["结果"]) for r in log_rows(project)] == [
        ("县商务局", "成功"), ("县市场监督管理局", "成功"), ("县发展和改革局", "状态不明"),
        ("县工业和信息化局", "状态不明")]

    second = mail.send(project, mail.plan_mail(project, manifest))
    assert [o.result for o in second.outcomes] == [mail.SKIPPED, mail.SKIPPED, mail.HELD, mail.HELD]
    assert inbox.units() == ["县商务局", "县市场监督管理局"]

    third = mail.send(project, mail.plan_mail(project, manifest), resend_unknown=True)  # checked: not received
    assert [o.result for o in third.outcomes] == [mail.SKIPPED, mail.SKIPPED, mail.SENT, mail.SENT]
    assert inbox.units() == ["县商务局", "县市场监督管理局", "县发展和改革局", "县工业和信息化局"]


def test_send__ctrl_c_while_waiting_for_the_reply__unknown_and_never_sent_twice(tmp_path, smtp_server):
    import signal
    import time

    inbox = Inbox(late={1}, delay=3.0)  # stored at once; Ctrl-C comes while zonekit waits for the 250
    project = make_project(tmp_path, smtp_server(inbox))
    project.mail.timeout = 30
    plan = mail.plan_mail(project, make_manifest(project), only=["县商务局", "县发展和改革局"])

    def ctrl_c(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, ctrl_c)
    signal.setitimer(signal.ITIMER_REAL, 1.0)
    try:
        with pytest.raises(KeyboardInterrupt):
            mail.send(project, plan)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert [(r["单位"], r["结果"]) for r in log_rows(project)] == [("县商务局", "状态不明")]
    assert "发送被中断" in log_rows(project)[0]["说明"] and not mail.pending_path(project).exists()
    time.sleep(2.5)  # the late reply has come and gone
    again = mail.send(project, plan)
    assert [(o.unit, o.result) for o in again.outcomes] == [("县商务局", mail.HELD), ("县发展和改革局", mail.SENT)]
    assert inbox.units() == ["县商务局", "县发展和改革局"]


def test_send__process_killed_after_the_message_went_out__next_run_logs_unknown_not_resent(tmp_path,
                                                                                         smtp_server):
    import pickle
    import signal
    import subprocess
    import sys
    import time

    inbox = Inbox(late={1}, delay=30.0)  # stored at once; the sending process is killed before the reply
    project = make_project(tmp_path, smtp_server(inbox))
    project.mail.timeout = 60
    plan = mail.plan_mail(project, make_manifest(project), only=["县商务局", "县发展和改革局"])
    (tmp_path / "run.pickle").write_bytes(pickle.dumps((project, plan)))
    child = subprocess.Popen([sys.executable, "-c", "import pickle, sys; from zonekit import mail; "
                              "project, plan = pickle.load(open(sys.argv[1], 'rb')); mail.send(project, plan)",
                              str(tmp_path / "run.pickle")], cwd=Path(__file__).parent.parent)
    try:
        for _ in range(300):
            if inbox.received or child.poll() is not None:
                break
            time.sleep(0.05)
        assert inbox.received and child.poll() is None
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    assert not (project.root / layout.SEND_LOG).exists() and mail.pending_path(project).exists()

    again = mail.send(project, plan)
    assert [(o.unit, o.result) for o in again.outcomes] == [("县商务局", mail.HELD), ("县发展和改革局", mail.SENT)]
    assert [(r["单位"], r["结果"]) for r in log_rows(project)] == [("县商务局", "状态不明"), ("县发展和改革局", "成功")]
    assert "程序被中断" in log_rows(project)[0]["说明"] and not mail.pending_path(project).exists()
    assert inbox.units() == ["县商务局", "县发展和改革局"]  # one copy each
    resent = mail.send(project, plan, resend_unknown=True)  # the clerk checked: it never arrived
    assert {o.unit: o.result for o in resent.outcomes} == {"县商务局": mail.SENT, "县发展和改革局": mail.SKIPPED}


def test_send__no_server_listening__stops_with_chinese_message(tmp_path):
    project = make_project(tmp_path, free_port())
    result = mail.send(project, mail.plan_mail(project, make_manifest(project)), timeout=2)
    assert "连不上邮件服务器" in result.stopped and "SMTP服务器" in result.stopped


def test_send__no_host_in_settings__mailerror_before_anything(tmp_path):
    project = make_project(tmp_path)
    project.mail.host = ""
    with pytest.raises(MailError, match="SMTP服务器"):
        mail.send(project, mail.plan_mail(project, make_manifest(project)))


def test_send_log__line_cut_by_a_crash__ignored_and_next_row_clean(tmp_path):
    path = tmp_path / layout.SEND_LOG
    row = dict(zip(mail.LOG_COLUMNS, ["2024-05-20T09:00:00", "下发", "第1轮", "县商务局", "sw@xj.gov.cn", "<a@b>",
                                       "x.xlsx", "ab" * 32, "成功", ""]))
    mail.append_log(path, row)
    with open(path, "ab") as fh:
        fh.write("2024-05-20T09:00:05,下发,第1轮,县财".encode())  # the crash
    mail.append_log(path, dict(row, 单位="县工业和信息化局"))
    rows = mail.read_send_log(path)
    assert [r["单位"] for r in rows] == ["县商务局", "县工业和信息化局"]
    assert mail.delivered(rows) == {("县商务局", "下发", "ab" * 32), ("县工业和信息化局", "下发", "ab" * 32)}


# ------------------------------------------------------------------ reminders


def refused_status() -> Status:
    problems = [
        Issue("R010", ERROR, "自评分 12 超过分值 10，请填 0–10 之间的数。", file="县市场监督管理局.xlsx",
              unit="县市场监督管理局", sheet="指标填报", cell="H12", value="12"),
        Issue("R020", ERROR, "数值「约12%」不是数字，请只填数字。", file="县市场监督管理局.xlsx",
              unit="县市场监督管理局", sheet="数据填报", cell="G7", value="约12%"),
        Issue("R030", "警告", "佐证材料说明较短。", sheet="指标填报", cell="J12"),
    ]
    return Status("县市场监督管理局", "退回", "县市场监督管理局.xlsx", "2024-06-01", [], problems)


def statuses() -> list[Status]:
    return [Status("县商务局", "已报"), refused_status(), Status("县发展和改革局", "未报"),
            Status("县工业和信息化局", "逾期"), Status("县财政局", "未报")]


def test_plan_reminders__missing_late_refused__exactly_those_units(tmp_path):
    project = make_project(tmp_path)
    plan = mail.plan_reminders(project, make_manifest(project), statuses())
    assert [(m.unit, m.purpose) for m in plan.messages] == [
        ("县市场监督管理局", "退回"), ("县发展和改革局", "催报"), ("县工业和信息化局", "催报")]
    assert [(i.code, i.unit) for i in plan.issues] == [("M001", "县财政局")]


def test_plan_reminders__refused__lists_blocking_issues_with_sheet_and_cell(tmp_path):
    project = make_project(tmp_path)
    manifest = make_manifest(project)
    message = mail.plan_reminders(project, manifest, statuses()).messages[0].message
    body = message.get_body().get_content()
    assert "1. 指标填报!H12：自评分 12 超过分值 10，请填 0–10 之间的数。" in body
    assert "2. 数据填报!G7：数值「约12%」不是数字，请只填数字。" in body
    assert "J12" not in body  # a warning does not refuse a return
    assert decoded(message, "Subject") == "【退回】县市场监督管理局：示范区创建填报表需修改后重报"
    assert attachment_of(message).get_content() == manifest[1].path.read_bytes()


def test_plan_reminders__refused_without_issues__listed_not_mailed(tmp_path):
    project = make_project(tmp_path)
    plan = mail.plan_reminders(project, make_manifest(project), [Status("县市场监督管理局", "退回")])
    assert plan.messages == [] and [i.code for i in plan.issues] == ["M007"]


def test_plan_reminders__only_a_unit_that_returned__says_so(tmp_path):
    project = make_project(tmp_path)
    plan = mail.plan_reminders(project, make_manifest(project), statuses(), only=["县商务局"])
    assert plan.messages == [] and [(i.code, i.value) for i in plan.issues] == [("M008", "已报")]


def test_remind__send__only_missing_late_refused_units_receive_mail(tmp_path, smtp_server):
    inbox = Inbox()
    project = make_project(tmp_path, smtp_server(inbox))
    manifest = make_manifest(project)
    mail.send(project, mail.plan_mail(project, manifest))  # the round went out first
    inbox.received.clear()

    result = mail.send(project, mail.plan_reminders(project, manifest, statuses()))
    assert result.count(mail.SENT) == 3
    recipients = [rcpt for rcpt, _ in inbox.received]
    assert recipients == [["scj@xj.gov.cn", "wang.fang@xj.gov.cn"], ["fgj@xj.gov.cn"], ["gxj@xj.gov.cn"]]
    refused = inbox.messages()[0]
    assert "指标填报!H12" in refused.get_body().get_content()
    assert attachment_of(refused).get_content() == manifest[1].path.read_bytes()
    assert [r["用途"] for r in log_rows(project)][-3:] == ["退回", "催报", "催报"]
    again = mail.send(project, mail.plan_reminders(project, manifest, statuses()))
    assert again.count(mail.SENT) == 0 and len(inbox.received) == 3


# ------------------------------------------------------------------ command line


@pytest.mark.parametrize("command", ["mail", "remind"])
def test_cli_help__mail_and_remind__explain_with_examples(command):
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert "示例" in result.output and f"zonekit {command} 项目目录 --drafts" in result.output
    assert "--dry-run" in result.output and "--only" in result.output


def test_cli_mail__neither_drafts_nor_send__usage_error(tmp_path):
    result = CliRunner().invoke(main, ["mail", str(tmp_path)])
    assert result.exit_code == 2 and "--drafts" in result.output


@pytest.fixture
def planned(tmp_path, monkeypatch):
    """The CLI over a project built here: _plan_for is the one place that reads the project folder."""
    def use(port=25, statuses_=None):
        project = make_project(tmp_path, port)
        manifest = make_manifest(project)

        def plan_for(root, *, reminders, only):
            assert Path(root) == tmp_path
            if reminders:
                return project, mail.plan_reminders(project, manifest, statuses_ or [], only=only)
            return project, mail.plan_mail(project, manifest, only=only)

        monkeypatch.setattr(mail, "_plan_for", plan_for)
        return project
    return use


def test_cli_mail_drafts__writes_drafts_and_lists_unit_without_address(tmp_path, planned):
    planned()
    result = CliRunner().invoke(main, ["mail", str(tmp_path), "--drafts"])
    assert result.exit_code == 1  # 县财政局 got no message
    assert "已写出 下发-县商务局.eml" in result.output and "M001" in result.output and "县财政局" in result.output
    assert len(list((tmp_path / layout.OUTGOING_DIR / layout.DRAFTS_DIR).glob("*.eml"))) == 4


def test_cli_mail_send__password_from_environment__sent_and_logged(tmp_path, planned, smtp_server):
    inbox = Inbox()
    planned(smtp_server(inbox))
    runner = CliRunner(env={mail.PASSWORD_ENV: "never-written"})
    result = runner.invoke(main, ["mail", str(tmp_path), "--send", "--only", "县商务局", "--pause", "0"])
    assert result.exit_code == 0, result.output
    assert "县商务局［下发］已发送" in result.output and "已发送 1 封" in result.output
    assert len(inbox.received) == 1
    assert "never-written" not in (tmp_path / layout.SEND_LOG).read_text(encoding="utf-8-sig")


def test_cli_remind_send__stopped_run__exit_1_with_message(tmp_path, planned, smtp_server):
    planned(smtp_server(Inbox(drop_on={1, 2})), [Status("县商务局", "未报"), Status("县发展和改革局", "逾期")])
    result = CliRunner().invoke(main, ["remind", str(tmp_path), "--send"])
    assert result.exit_code == 1
    assert "再次中断" in result.output and "状态不明 2 封：县商务局［催报］、县发展和改革局［催报］" in result.output
    assert "--send --resend-unknown" in result.output


def test_cli_mail_send__unknown_from_last_run__listed_then_resent_on_request(tmp_path, planned, smtp_server):
    inbox = Inbox(drop_on={1})
    planned(smtp_server(inbox))
    runner = CliRunner(env={mail.PASSWORD_ENV: "x"})
    args = ["mail", str(tmp_path), "--send", "--only", "县商务局", "--pause", "0", "--timeout", "5"]
    first = runner.invoke(main, args)
    assert first.exit_code == 1 and "县商务局［下发］状态不明" in first.output
    again = runner.invoke(main, args)
    assert again.exit_code == 1 and "状态不明，未重发" in again.output and inbox.received == []
    resent = runner.invoke(main, args + ["--resend-unknown"])
    assert resent.exit_code == 0, resent.output
    assert "县商务局［下发］已发送" in resent.output and inbox.units() == ["县商务局"]


def test_cli_mail__drafts_with_resend__usage_error(tmp_path):
    result = CliRunner().invoke(main, ["mail", str(tmp_path), "--drafts", "--resend"])
    assert result.exit_code == 2


_PIPELINE = all(importlib.util.find_spec(f"zonekit.{m}") for m in ("workbench", "generate", "collect"))


def write_units_file(path: Path, units: dict[str, str]) -> None:
    book = xlsxwriter.Workbook(str(path), {"in_memory": True})
    sheet = book.add_worksheet(layout.SHEET_UNITS)
    sheet.write_row(0, 0, ["单位名称", "联系人", "电话", "邮箱"])
    for row, (name, email) in enumerate(units.items(), 1):
        sheet.write_row(row, 0, [name, "张三", "0359-7520001", email])
    book.close()


def fill_info(workbook: Path, values: dict) -> None:
    """What the clerk types into 基本信息 (column 项目 / 内容)."""
    import openpyxl

    book = openpyxl.load_workbook(workbook)
    for row in book[layout.SHEET_INFO].iter_rows(min_row=2):
        if row[0].value in values:
            row[1].value = values[row[0].value]
    book.save(workbook)


@pytest.mark.skipif(not _PIPELINE, reason="workbench / generate / collect not built yet")
def test_cli_end_to_end__init_generate_mail_collect_remind__each_unit_mailed_once(tmp_path, smtp_server):
    import openpyxl

    from zonekit.collect import collect
    from zonekit.generate import generate
    from zonekit.workbench import load_project, write_assignments

    inbox = Inbox()
    port = smtp_server(inbox)
    root = tmp_path / "新绛创建"
    units_file = tmp_path / "单位名单.xlsx"
    write_units_file(units_file, {"县市场监管局": "scj@xj.gov.cn", "县商务局": "sw@xj.gov.cn", "县统计局": "tj@xj.gov.cn",
                                  "县档案馆": ""})
    runner = CliRunner()
    result = runner.invoke(main, ["init", str(root), "--scheme", "2022", "--region", "新绛县", "--province", "山西省",
                                  "--deadline", "2099-06-30", "--units", str(units_file)])
    assert result.exit_code == 0, result.output
    write_assignments(root, {"1": Assignment("1", ["县商务局"], ["县统计局"]), "3": Assignment("3", ["县市场监管局"]),
                             "4": Assignment("4", ["县档案馆"])})
    fill_info(root / layout.PROJECT_WORKBOOK, {
        layout.INFO_OFFICE: "新绛县创建办", layout.INFO_CONTACT: "王芳", layout.INFO_PHONE: "0359-7521234",
        layout.INFO_EMAIL: "cjb@xj.gov.cn", layout.INFO_SMTP_HOST: "127.0.0.1", layout.INFO_SMTP_PORT: port,
        layout.INFO_SMTP_SECURITY: "无", layout.INFO_SENDER: "cjb@163.com", layout.INFO_SENDER_NAME: SENDER_NAME,
        layout.INFO_MAIL_PAUSE: 0})
    books = {e.unit: e.path for e in generate(load_project(root), force=True).entries}

    # drafts: one per unit with an address, each with its own workbook
    result = runner.invoke(main, ["mail", str(root), "--drafts"])
    assert result.exit_code == 1 and "县档案馆" in result.output and "M001" in result.output  # no address
    drafts = root / layout.OUTGOING_DIR / layout.DRAFTS_DIR
    assert sorted(p.name for p in drafts.iterdir()) == ["下发-县商务局.eml", "下发-县市场监管局.eml", "下发-县统计局.eml"]
    for unit in ("县市场监管局", "县商务局", "县统计局"):
        part = attachment_of(BytesParser(policy=policy.default).parsebytes((drafts / f"下发-{unit}.eml").read_bytes()))
        assert part.get_filename() == books[unit].name and part.get_content() == books[unit].read_bytes()

    # send twice: each unit receives its workbook exactly once
    for _ in range(2):
        result = runner.invoke(main, ["mail", str(root), "--send"])
        assert result.exit_code == 1 and "县档案馆" in result.output
    assert [rcpt for rcpt, _ in inbox.received] == [["scj@xj.gov.cn"], ["sw@xj.gov.cn"], ["tj@xj.gov.cn"]]
    for message in inbox.messages():
        part = attachment_of(message)
        unit = next(u for u, path in books.items() if path.name == part.get_filename())
        assert part.get_content() == books[unit].read_bytes()
        assert unit in decoded(message, "Subject")

    # partial collect: 县统计局 returns a complete workbook, 县商务局 an empty one (refused), 县市场监管局 nothing
    filled = openpyxl.load_workbook(books["县统计局"])
    filled[layout.SHEET_INDICATORS]["I4"] = "已完成网络交易统计监测"
    filled.save(root / layout.RETURNED_DIR / "县统计局-回复.xlsx")
    (root / layout.RETURNED_DIR / "县商务局.xlsx").write_bytes(books["县商务局"].read_bytes())
    collect(load_project(root))

    inbox.received.clear()
    result = runner.invoke(main, ["remind", str(root), "--send"])
    assert "县档案馆" in result.output  # 未报 but no address: listed
    assert [rcpt for rcpt, _ in inbox.received] == [["scj@xj.gov.cn"], ["sw@xj.gov.cn"]]
    refused = inbox.messages()[1]
    assert "指标填报!I4" in refused.get_body().get_content()
    # the refused unit gets its own workbook back, refilled with what it sent and each problem on its cell
    part = attachment_of(refused)
    assert part.get_filename() == books["县商务局"].name.replace("-填报表.xlsx", "-填报表（续填）.xlsx")
    book = openpyxl.load_workbook(BytesIO(part.get_content()))
    assert "未填写" in book[layout.SHEET_INDICATORS]["I4"].comment.text
    assert book[layout.SHEET_INDICATORS]["I4"].fill.fgColor.rgb.endswith(layout.PROBLEM_FILL.lstrip("#"))


@pytest.mark.skipif(not _PIPELINE, reason="workbench / generate / collect not built yet")
def test_load_project__smtp_timeout_in_basic_info__the_wait_for_a_reply(tmp_path):
    from zonekit.workbench import load_project

    root = tmp_path / "新绛创建"
    units_file = tmp_path / "单位名单.xlsx"
    write_units_file(units_file, {"县商务局": "sw@xj.gov.cn"})
    result = CliRunner().invoke(main, ["init", str(root), "--scheme", "2022", "--region", "新绛县", "--province",
                                       "山西省", "--units", str(units_file)])
    assert result.exit_code == 0, result.output
    assert load_project(root).mail.timeout == 60  # what a new 工作台 says
    fill_info(root / layout.PROJECT_WORKBOOK, {layout.INFO_SMTP_TIMEOUT: 120})
    assert load_project(root).mail.timeout == 120
