"""Translations at the receiving station, with real stations and the demo's people.

rok-fleet-command sends free text in Korean; at ru-pacific-fleet the translator attaches a Russian
translation, which stays pending until a supervisor who did not write it approves it. The
translator cannot review it, the auditor cannot attach one, the original never changes, and the
translations survive a restart of the station.
"""
from harness import World, log, main, wait_for

ORIGINAL = "독도 동방 30해리 해역에서 0600부터 해상 사격 훈련 실시"
RUSSIAN = "Морские стрельбы в 30 милях к востоку от Токто с 06:00"


def test():
    with World("translations") as w:
        w.a.start()
        w.b.start()
        wait_for("link up", lambda: w.a.link_up() and w.b.link_up())
        code, posted = w.a.post(ORIGINAL, precedence="priority")
        assert code == 201, (code, posted)
        mid = posted["id"]
        path = f"/api/v1/messages/{mid}/translations"
        wait_for("the message at ru-pacific-fleet",
                 lambda: w.b.request("GET", f"/api/v1/messages/{mid}")[0] == 200)

        translator = w.b.session("translator-petrova")
        supervisor = w.b.session("supervisor-volkov")
        auditor = w.b.session("auditor-ru")

        code, _, err = w.b.exchange("POST", path, {"lang": "ru", "text": RUSSIAN}, auditor)
        assert code == 403 and err["error"]["code"] == "forbidden", (code, err)
        code, _, err = w.a.exchange("POST", path, {"lang": "ru", "text": RUSSIAN},
                                    w.a.session("translator-lee"))
        assert code == 400 and err["error"]["field"] == "id", (code, err)  # the sender's own

        code, _, added = w.b.exchange("POST", path, {"lang": "ru", "text": RUSSIAN}, translator)
        assert code == 201 and added["state"] == "pending", (code, added)
        assert added["by"] == "translator-petrova", added
        review = f"{path}/{added['id']}/review"

        code, _, err = w.b.exchange("POST", review, {"approve": True}, translator)
        assert code == 403, (code, err)
        code, m = w.b.request("GET", f"/api/v1/messages/{mid}")
        assert m["translations"][0]["state"] == "pending", m

        code, _, done = w.b.exchange("POST", review, {"approve": True}, supervisor)
        assert code == 200 and done["state"] == "certified", (code, done)
        code, _, err = w.b.exchange("POST", review, {"approve": False, "note": "late"}, supervisor)
        assert code == 409, (code, err)

        w.b.kill()
        w.b.start()
        code, m = w.b.request("GET", f"/api/v1/messages/{mid}")
        assert code == 200 and m["text"] == ORIGINAL, m
        [t] = m["translations"]
        assert (t["state"], t["reviewed_by"], t["text"]) == ("certified", "supervisor-volkov",
                                                             RUSSIAN), t
        log(f"translation {t['id']} of {mid}: certified by {t['reviewed_by']}")


if __name__ == "__main__":
    main(test)
