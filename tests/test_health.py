"""The health board: an outage shows from its first report until its part is back."""

from __future__ import annotations

from contactcenter.health import AMI, STORE, HealthBoard, PartDown, PartUp


def test_a_part_is_down_from_its_first_report_until_it_is_up() -> None:
    board = HealthBoard()
    assert board.down() == {}
    for event in (PartDown(AMI, "connection refused", 10.0), PartDown(STORE, "timeout", 11.0),
                  PartDown(AMI, "still refused", 12.0)):
        board.record(event)
    assert board.down() == {"ami": {"reason": "still refused", "since": 10.0},
                            "store": {"reason": "timeout", "since": 11.0}}
    board.record(PartUp(AMI, 13.0))
    assert list(board.down()) == ["store"]
