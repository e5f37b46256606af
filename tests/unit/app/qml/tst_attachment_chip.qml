import QtQuick
import QtTest
import Parley

Item {
    width: 300
    height: 100

    AttachmentChip {
        id: chip
        name: "notes.pdf"
        removable: true
    }
    SignalSpy {
        id: removed
        target: chip
        signalName: "removeRequested"
    }

    TestCase {
        name: "AttachmentChip"
        when: windowShown

        function labelText() {
            return findChild(chip, "chipLabel").text
        }

        function test_showsTheNameAndReading() {
            compare(labelText(), "notes.pdf")
            chip.reading = true
            compare(labelText(), "notes.pdf …")
            chip.reading = false
        }

        function test_removeButtonAsksToRemove() {
            const button = findChild(chip, "chipRemove")
            verify(button.visible)
            mouseClick(button)
            compare(removed.count, 1)
        }

        function test_errorChangesTheBorder() {
            const normal = String(chip.border.color)
            chip.errorText = "notes.pdf: no such file"
            compare(String(chip.border.color), "#d1242f")
            verify(normal !== "#d1242f")
            chip.errorText = ""
        }
    }
}
