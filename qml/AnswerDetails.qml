import QtQuick
import QtQuick.Controls

// How an answer was made: model, tokens, time to first token and decode speed.
Label {
    id: root

    required property string model
    required property int promptTokens
    required property int completionTokens
    required property int ttftMs
    required property double tokensPerSecond

    objectName: "answerDetails"
    opacity: 0.65
    font.pointSize: 8
    text: {
        const parts = []
        if (model !== "")
            parts.push(model)
        if (completionTokens >= 0)
            parts.push(qsTr("%1 tokens").arg(completionTokens))
        if (ttftMs >= 0)
            parts.push(qsTr("first token %1 ms").arg(ttftMs))
        if (tokensPerSecond > 0)
            parts.push(qsTr("%1 tokens/s").arg(tokensPerSecond.toFixed(1)))
        return parts.join(" · ")
    }
}
