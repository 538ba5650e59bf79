"""GPS coordinates and device identifiers as a lender's risk-control logs hold them: a
latitude-longitude pair in mainland China (JSON numbers, ``lat=…&lng=…``, ``经度：``,
``北纬…°``, ``POINT(…)``, a CSV's ``lat,lng`` columns), and IDFA/IDFV, OAID, Android ID,
IMSI, ICCID and MEID after their keys; versions, amounts, IP addresses, city-level
coordinates, placeholders and bare hex ids are none."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from yinsi.cli.app import app
from yinsi.services.pii_scan import scan_file
from yinsi.taxonomy.detectors import KINDS, classify_values, detect
from yinsi.taxonomy.formats import luhn_valid

runner = CliRunner()
DEVICE = ("idfa", "idfv", "oaid", "android_id", "imsi", "iccid", "meid")
NEW = ("gps", *DEVICE)
IDFA = "6D92078A-8246-4BA4-AE5B-76104861E7DC"
IDFV = "3F2504E0-4F89-11D3-9A0C-0305E82C3301"
OAID = "0f7ac1e5-8b2d-4c3a-9e6f-1a2b3c4d5e6f"
ANDROID_ID = "a3f5c2e8b1d04f67"
IMSI = "460011234567890"
ICCID = "89860112345678901234"
ICCID19 = next(
    f"898600123456789012{d}" for d in "0123456789" if luhn_valid(f"898600123456789012{d}")
)
MEID = "A0000034D7B2C1"


def found(text: str, kinds: tuple[str, ...] = NEW) -> list[tuple[str, str]]:
    return [(f.kind, text[f.start : f.end]) for f in detect(text, kinds)]


def gps(text: str) -> list[str]:
    return [value for _, value in found(text, ("gps",))]


# --- GPS coordinates ---------------------------------------------------------------------


def test_a_coordinate_pair_in_a_json_log_is_found() -> None:
    line = '{"lbs": {"latitude": 22.543096, "longitude": 114.057865, "accuracy": 30}}'
    assert gps(line) == ["22.543096", "114.057865"]
    pretty = '{\n  "gpsLatitude": "39.916527",\n  "gpsLongitude": "116.397128"\n}'
    assert gps(pretty) == ["39.916527", "116.397128"]
    (finding, _) = detect(line, ("gps",))
    assert finding.element == KINDS["gps"] == "precise_location"


def test_a_pair_is_read_in_either_order_by_its_ranges() -> None:
    assert gps("最后定位39.916527,116.397128。") == ["39.916527,116.397128"]
    assert gps("最后定位116.397128,39.916527。") == ["116.397128,39.916527"]
    assert gps("GPS最后位置112.938814,28.228209") == ["112.938814,28.228209"]
    # no cue: 5 decimals each, a comma or spaces between
    assert gps("轨迹点 39.916527 116.397128 已上报") == ["39.916527 116.397128"]
    assert gps("39.91652, 116.39712") == ["39.91652, 116.39712"]
    # a cue allows 4 decimals and other separators
    assert gps("经纬度：39.9165，116.3971") == ["39.9165，116.3971"]
    assert gps('"location": [116.3971, 39.9165]') == ["116.3971, 39.9165"]


def test_named_latitude_and_longitude_in_key_value_logs_are_found() -> None:
    line = "2024-05-11 10:07:13 INFO gps lat=28.228209 lng=112.938814 city=长沙"
    assert gps(line) == ["28.228209", "112.938814"]
    assert gps("GET /api/near?lat=39.9165&lng=116.3971&r=500") == ["39.9165", "116.3971"]
    assert gps("userLat=39.9165,userLng=116.3971") == ["39.9165", "116.3971"]
    assert gps("LAT: 39.9165 LON: 116.3971") == ["39.9165", "116.3971"]


def test_chinese_labels_degrees_and_wkt_points_are_found() -> None:
    assert gps("经度：116.397128 纬度：39.916527") == ["116.397128", "39.916527"]
    assert gps("经度116.397128，纬度39.916527，地址…") == ["116.397128", "39.916527"]
    assert gps("北纬39.9165° 东经116.3971°") == ["39.9165", "116.3971"]
    assert gps("位于39.9165°N, 116.3971°E附近") == ["39.9165°N, 116.3971°E"]
    assert gps("geom = POINT(116.3971 39.9165)") == ["116.3971 39.9165"]


@pytest.mark.parametrize(
    "text",
    [
        "lat=39.92&lng=116.40",  # city level: fewer than 4 decimals
        "POINT(116.397 39.916)",
        "纬度39.916527",  # a latitude with no longitude near it
        "lat=39.916527 status=ok",
        "39.916527",  # a single number is never a coordinate
        "39.9165,116.3971",  # no cue: 5 decimals needed
        "39.916527;116.397128",  # no cue: a comma or spaces only
        "价格39.916527,116.397128元",  # an amount
        "耗时 39.91652 116.39712 ms",
        "版本v39.916527.116",  # a version
        "116.397128.1 39.916527",
        "客户端IP 39.91.65.27",  # an IP address
        "40.712776,-74.005974",  # New York
        "48.856613,2.352222",  # Paris
        "-33.868820,151.209296",  # Sydney
        "1.352083,103.819836",  # Singapore: south of mainland China's box
        "39.916527,39.916527",  # two latitudes
        "116.397128,116.397128",  # two longitudes
        "score 45.12345 100.12345 67.12345 88.12345",  # a row of measurements
        "flat=39.9165&salon=116.3971",  # not lat and lon: words ending so
        "纬度=116.397128 经度=200.397128",  # out of range
    ],
)
def test_look_alikes_of_coordinates_are_rejected(text: str) -> None:
    assert gps(text) == []


def test_a_csv_with_lat_and_lng_headers_is_read_as_pairs(tmp_path: Path) -> None:
    table = tmp_path / "lbs.csv"
    table.write_text(
        "user_id,lat,name_hash,lng\n1001,39.9165,ab12,116.3971\n1002,39.92,cd34,116.40\n"
        "1003,39.9165,ef56,\n",
        encoding="utf-8",
    )
    hits = scan_file(table).hits
    assert [(h.where, h.kind) for h in hits] == [("2:6", "gps"), ("2:19", "gps")]
    assert "39.9165" not in hits[0].snippet and "39.****" in hits[0].snippet
    chinese = tmp_path / "定位.csv"
    chinese.write_text("经度,纬度\n116.3971,39.9165\n", encoding="utf-8")
    assert [h.kind for h in scan_file(chinese).hits] == ["gps", "gps"]


def test_json_numbers_are_read_when_the_document_is_read_by_path(tmp_path: Path) -> None:
    document = {
        "name": "张三",  # written escaped, so the file is read value by value
        "lbs": {"latitude": 22.543096, "longitude": 114.057865, "accuracy": 30},
        "geo": {"coordinates": [116.3971, 39.9165]},
        "last": {"location": "116.3971,39.9165", "gps": "116.397128,39.916527"},
        "home": {"lat": 39.92, "lng": 116.4},  # city level
        "device": {"android_id": "5e1f7a9c3b2d8e40", "oaid": OAID, "imsi": IMSI},
    }
    path = tmp_path / "risk.json"
    path.write_text(json.dumps(document), encoding="utf-8")  # ensure_ascii: \u escapes
    hits = [(h.where, h.kind) for h in scan_file(path).hits]
    assert len(hits) == len(set(hits))  # each once, though read as a string and as a pair
    assert set(hits) == {
        ("$.name", "person_name"),
        ("$.lbs.latitude", "gps"),
        ("$.lbs.longitude", "gps"),
        ("$.geo.coordinates", "gps"),
        ("$.last.location", "gps"),
        ("$.last.gps", "gps"),
        ("$.device.android_id", "android_id"),
        ("$.device.oaid", "oaid"),
        ("$.device.imsi", "imsi"),
    }


# --- device identifiers --------------------------------------------------------------------


def test_device_ids_after_their_keys_in_a_risk_control_log_are_found() -> None:
    line = (
        f"WARN risk.DeviceCheck - deviceInfo androidId={ANDROID_ID} oaid={OAID} "
        f"idfa={IDFA} idfv={IDFV} imsi={IMSI} iccid={ICCID} meid={MEID} ssaid=5e1f7a9c3b2d8e40"
    )
    assert found(line, DEVICE) == [
        ("android_id", ANDROID_ID),
        ("oaid", OAID),
        ("idfa", IDFA),
        ("idfv", IDFV),
        ("imsi", IMSI),
        ("iccid", ICCID),
        ("meid", MEID),
        ("android_id", "5e1f7a9c3b2d8e40"),
    ]
    assert [k for k, _ in found(f'{{"android_id": "{ANDROID_ID}", "simImsi": "{IMSI}"}}')] == [
        "android_id",
        "imsi",
    ]


def test_device_ids_after_chinese_labels_are_found() -> None:
    assert found(f"IMSI：{IMSI}，广告标识符：{IDFA}") == [("imsi", IMSI), ("idfa", IDFA)]
    assert found(f"匿名设备标识符 {OAID}") == [("oaid", OAID)]
    assert found(f"OAID为{'a1b2c3d4' * 8}") == [("oaid", "a1b2c3d4" * 8)]
    assert found(f"iccid={ICCID19}") == [("iccid", ICCID19)]


@pytest.mark.parametrize(
    "text",
    [
        "idfa=00000000-0000-0000-0000-000000000000",  # iOS with Limit Ad Tracking on
        "oaid=00000000-0000-0000-0000-000000000000",
        "android_id=0000000000000000",
        "androidId=9774d56d682e549c",  # Android 2.2's id shared by many devices
        "ssaid=ffffffffffffffff",
        "oaid=0000000000000000",
    ],
)
def test_placeholder_device_ids_are_rejected(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize(
    "text",
    [
        f"traceId={OAID} requestId={IDFA}",  # a UUID is anything without its key
        f"{ANDROID_ID} {IDFA}",
        "md5=8f14e45fceea167a5a36dedd4bea2543",
        "idfa_md5=8f14e45fceea167a5a36dedd4bea2543",  # a hash, not the IDFA
        f"idfa={ANDROID_ID}",  # not a UUID
        "androidId=a3f5c2e8b1d04f6",  # 15 hex digits
        "imsi=310260123456789",  # not China's MCC
        "imsi=46001123456789",  # 14 digits
        f"iccid={ICCID19[:-1]}{(int(ICCID19[-1]) + 1) % 10}",  # 19 digits, Luhn fails
        "iccid=89850112345678901234",  # not China's 8986
        "meid=12345678901234",  # no MEID regional code (A0-FF, 99)
        "xmeid=A0000034D7B2C1",  # the key is another word
    ],
)
def test_device_id_look_alikes_are_rejected(text: str) -> None:
    assert found(text) == []


def test_a_bare_imsi_needs_a_chinese_operator_and_an_id_number_wins() -> None:
    assert found(f"回传{IMSI}") == [("imsi", IMSI)]
    assert found("460991234567890") == []  # MNC 99 is no Chinese operator's
    assert found("订单号460011234567890") == []
    # a first-generation ID number of Sanya (4602xx) reads as an IMSI of MNC 20 too
    assert found("460202850101123", ("id_number", "imsi")) == [("id_number", "460202850101123")]
    ((element, share, evidence),) = classify_values([IMSI, "460021234567891"])
    assert (element, share) == ("imsi", 1.0) and IMSI not in evidence


def test_a_csv_with_device_id_headers_is_read(tmp_path: Path) -> None:
    table = tmp_path / "devices.csv"
    table.write_text(
        f"uid,imsi,androidId,meid\n1,{IMSI},{ANDROID_ID},{MEID}\n2,0,0000000000000000,n/a\n",
        encoding="utf-8",
    )
    assert [h.kind for h in scan_file(table).hits] == ["imsi", "android_id", "meid"]


# --- output --------------------------------------------------------------------------------


def test_scan_names_and_masks_the_new_kinds(tmp_path: Path) -> None:
    log = tmp_path / "risk.log"
    log.write_text(f"INFO lat=39.916527 lng=116.397128 imsi={IMSI} idfa={IDFA}\n", encoding="utf-8")
    result = runner.invoke(app, ["scan", str(log)])
    assert result.exit_code == 1, result.output
    assert result.stdout.splitlines()[0] == (f"{log}: 4 处个人信息（GPS经纬度 2，IMSI 1，IDFA 1）")
    for value in ("39.916527", "116.397128", IMSI, IDFA):
        assert value not in result.output
    assert "39.******" in result.stdout and "4600*******7890" in result.stdout
    assert "6D92****-****-****-****-********E7DC" in result.stdout
    only = runner.invoke(app, ["scan", "--kinds", "gps,oaid", str(log)])
    assert only.stdout.splitlines()[0] == f"{log}: 2 处个人信息（GPS经纬度 2）"


def test_device_id_and_coordinate_masks_are_idempotent() -> None:
    from yinsi.security.masking import mask_coordinates, mask_device_id

    for value in (IMSI, IDFA, ANDROID_ID, MEID, ICCID):
        shown = mask_device_id(value)
        assert len(shown) == len(value) and shown[:4] == value[:4] and shown[-4:] == value[-4:]
        assert value[4:-4] not in shown and mask_device_id(shown) == shown
    assert mask_device_id("abc") == "***"
    assert mask_coordinates("39.916527,116.397128") == "39.******,116.******"
    assert mask_coordinates("39.9165°N, 116.3971°E") == "39.****°N, 116.****°E"
    assert mask_coordinates(mask_coordinates("22.543096")) == "22.******"
