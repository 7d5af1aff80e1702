"""Trigger words: the generic Vietnamese nouns that open a name of each kind.

A feature-rich Vietnamese NER tagger reads the word that says what kind of
thing a name names: "tỉnh", "huyện", "xã" before a place, "Sở", "Ban",
"Công ty" before a body, "cầu", "đường", "nhà máy" before a works (vietner's
trigger-word features, `../shared/libraries.md`). The CRF learns these from
the training annotations too, but only the ones a report happens to use; a
report about ports or wind farms names facilities that one about roads and
industrial clusters never did. These lists give every noun of a kind one
shared feature, so a weight learned on "cầu" and "nhà máy" carries over to
"cảng cá" and "trạm bơm".

They are the common nouns of the schema's own categories
(`../shared/annotation-schema.md`: PROJECT is a bridge, road, industrial zone
or cluster, urban or residential area, resettlement area, plant, hospital,
dyke, embankment, reservoir, port, power line, bid package …; ORG an agency,
committee, party body, court, company, bank …; LOC an administrative place),
not names: no project, body or place of any report is listed. The lists are
saved with each model (`config.json`), so a model keeps the triggers it was
trained with.
"""

from __future__ import annotations


def _words(text: str) -> tuple[str, ...]:
    return tuple(w.strip() for w in text.split(",") if w.strip())


FACILITY: tuple[str, ...] = _words(
    """
    cầu, cầu cảng, cầu tàu, đường, tuyến đường, đường tỉnh, đường huyện, quốc lộ,
    cao tốc, đường cao tốc, đường gom, đường dẫn, nút giao, hầm, cảng, cảng cá,
    cảng biển, cảng hàng không, sân bay, bến, bến xe, bến phà, bến tàu, nhà ga, ga,
    luồng, kênh, cống, âu thuyền, đê, đê bao, đê biển, kè, bờ kè, bờ bao, hồ, hồ chứa,
    đập, trạm bơm, công trình thủy lợi, hệ thống thủy lợi, nhà máy nước, trạm cấp nước,
    hệ thống cấp nước, hệ thống thoát nước, trạm xử lý nước thải, nhà máy xử lý, nhà máy,
    nhà máy điện, điện gió, điện mặt trời, nhà máy điện gió, trạm biến áp, đường dây,
    lưới điện, hệ thống chiếu sáng, khu công nghiệp, cụm công nghiệp, khu kinh tế,
    khu chế xuất, khu đô thị, khu đô thị mới, khu dân cư, khu tái định cư, khu nhà ở,
    nhà ở xã hội, khu du lịch, khu phức hợp, khu liên hợp, khu thương mại, khu công nghệ,
    khu xử lý, bãi rác, nghĩa trang, công viên, quảng trường, kcn, ccn, kđt, kdc, ktđc,
    tđc, bệnh viện, trạm y tế, trung tâm y tế, trường, trường học, ký túc xá, trụ sở,
    nhà văn hóa, nhà thi đấu, sân vận động, bảo tàng, thư viện, chợ,
    trung tâm thương mại, siêu thị, khách sạn, doanh trại, trường bắn, thao trường,
    nhà tạm giữ, trại giam, di tích, đền, nhà máy chế biến, dự án, tiểu dự án,
    công trình, gói thầu, hạng mục
    """
)
"""Nouns that head the name of a works (the schema's PROJECT)."""

BODY: tuple[str, ...] = _words(
    """
    ủy ban, ubnd, hđnd, hội đồng, hội đồng nhân dân, ủy ban nhân dân, ubmttq, mặt trận,
    tỉnh ủy, huyện ủy, thành ủy, đảng ủy, ban thường vụ, ban chấp hành, ban chỉ đạo, bcđ,
    ban quản lý, bqlda, ban, sở, bộ, tổng cục, cục, chi cục, vụ, viện, viện kiểm sát,
    tòa án, công an, bộ chỉ huy, bchqs, ban chỉ huy, văn phòng, phòng, thanh tra,
    kho bạc, quỹ, ngân hàng, công ty, tập đoàn, tổng công ty, liên danh, doanh nghiệp,
    hợp tác xã, hiệp hội, hội, liên đoàn, liên minh, đoàn, đài, báo, trung tâm,
    chính phủ, quốc hội, thủ tướng chính phủ, nhà nước
    """
)
"""Nouns that head the name of a body (the schema's ORG)."""

PLACE: tuple[str, ...] = _words(
    """
    tỉnh, huyện, xã, phường, thị trấn, thị xã, thành phố, tp, quận, ấp, khóm, thôn, bản,
    khu phố, vùng, miền, cồn, cù lao, sông, biển, đảo, địa bàn
    """
)
"""Nouns that head the name of a place (the schema's LOC)."""

TRIGGERS: dict[str, tuple[str, ...]] = {"FACILITY": FACILITY, "BODY": BODY, "PLACE": PLACE}
"""Trigger words by kind; `nlp.ner` tags them as the `trig` feature."""

ROLE_CUES: dict[str, tuple[str, ...]] = {
    "cost": _words("kinh phí, tổng mức đầu tư, tổng vốn, vốn, dự toán"),
    "disbursed": _words("giải ngân"),
    "progress": _words("đạt, khối lượng, giá trị hợp đồng"),
    "cleared": _words("mặt bằng, thu hồi đất, giải phóng mặt bằng"),
    "size": _words("chiều dài, dài, diện tích, công suất, quy mô"),
    "start": _words("khởi công"),
    "completion": _words("hoàn thành, bàn giao, đưa vào sử dụng"),
    "deadline": _words("dự kiến, kế hoạch, phấn đấu, trước, chậm nhất"),
    "approval": _words("phê duyệt, ban hành, chấp thuận"),
    "submission": _words("trình, đề nghị"),
}
"""The words the schema gives for each role of an amount or a date
(`../shared/annotation-schema.md`, Relations: "`cost` (kinh phí, tổng mức đầu
tư, vốn)", "`start` (khởi công)", …; `size` and `deadline`, described there in
English, in their usual Vietnamese words). `nlp.relations` reads which of them
come before an amount or a date in its sentence."""
