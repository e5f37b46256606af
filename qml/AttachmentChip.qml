import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// A file attached to a message, by name; removable while the message is being written.
Rectangle {
    id: root

    required property string name
    property string errorText: ""
    property bool reading: false
    property bool removable: false

    signal removeRequested()

    implicitWidth: row.implicitWidth + 16
    implicitHeight: row.implicitHeight + 8
    radius: height / 2
    color: errorText !== "" ? "#ffebe9" : palette.alternateBase
    border.color: errorText !== "" ? "#d1242f" : palette.mid

    RowLayout {
        id: row
        anchors.centerIn: parent
        spacing: 4
        Label {
            objectName: "chipLabel"
            text: root.name + (root.reading ? " …" : "")
            color: root.errorText !== "" ? "#d1242f" : root.palette.windowText
        }
        ToolButton {
            objectName: "chipRemove"
            visible: root.removable
            text: "×"
            implicitHeight: 20
            implicitWidth: 20
            Accessible.name: qsTr("Remove %1").arg(root.name)
            onClicked: root.removeRequested()
        }
    }
    ToolTip.visible: errorText !== "" && hover.hovered
    ToolTip.text: errorText
    HoverHandler { id: hover }
}
