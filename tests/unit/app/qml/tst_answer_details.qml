import QtQuick
import QtTest
import Parley

Item {
    width: 600
    height: 100

    AnswerDetails {
        id: known
        model: "SmolLM2"
        promptTokens: 30
        completionTokens: 42
        ttftMs: 180
        tokensPerSecond: 35.26
    }
    AnswerDetails {
        id: unknown
        model: ""
        promptTokens: -1
        completionTokens: -1
        ttftMs: -1
        tokensPerSecond: 0
    }

    TestCase {
        name: "AnswerDetails"

        function test_showsModelTokensLatencyAndSpeed() {
            compare(known.text, "SmolLM2 · 42 tokens · first token 180 ms · 35.3 tokens/s")
        }

        function test_leavesOutWhatIsUnknown() {
            compare(unknown.text, "")
            unknown.completionTokens = 7
            compare(unknown.text, "7 tokens")
        }
    }
}
