import Foundation
import Imaging

// imaging-bench mark IN OUT [FONT] [TEXT]   watermark IN (format from its extension) into OUT
// imaging-bench shape [TEXT]                 print TEXT as shaped for gd (the C peer draws the same string)
// imaging-bench plan W H [FONT] [TEXT]       print what is drawn on a W × H image, for the vips and ImageMagick
//                                            equivalents: "layout em points angle° textWidth period bands
//                                            lineOffset thickness", then "line x y x y x y x y" and "text x y" rows
// imaging-bench noop                         start and exit: the baseline for "extra" memory
let defaultText = "ใช้สำหรับยืนยันตัวตนกับ เทศบาลตำบลบางกระทุ่ม เท่านั้น 1 ธ.ค. 2569"
let args = CommandLine.arguments

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(1)
}

/// The file's bytes, read straight into the array (no Data copy to inflate the memory figure).
func readBytes(_ path: String) -> [UInt8]? {
    guard let file = fopen(path, "rb") else { return nil }
    defer { fclose(file) }
    guard fseek(file, 0, SEEK_END) == 0 else { return nil }
    let size = ftell(file)
    guard size >= 0, fseek(file, 0, SEEK_SET) == 0 else { return nil }
    var complete = false
    let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
        count = size > 0 ? fread(buffer.baseAddress, 1, size, file) : 0
        complete = count == size
    }
    return complete ? bytes : nil
}

func writeBytes(_ bytes: [UInt8], to path: String) -> Bool {
    guard let file = fopen(path, "wb") else { return false }
    let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
    return fclose(file) == 0 && written == bytes.count
}

switch args.count > 1 ? args[1] : "" {
case "noop":
    break
case "shape":
    print(ThaiShaper.shape(args.count > 2 ? args[2] : defaultText))
case "plan" where args.count >= 4:
    guard let w = Int(args[2]), let h = Int(args[3]) else { fail("plan W H") }
    do {
        let plan = try IdentityWatermark(text: args.count > 5 ? args[5] : defaultText, fontPath: args.count > 4 ? args[4] : nil)
            .plan(width: w, height: h)
        let l = plan.layout
        func f(_ v: Double) -> String { String(format: "%.2f", v) }
        print(
            "layout", f(l.em), f(l.points), f(l.angle * 180 / .pi), f(plan.textWidth), f(l.period), l.bandsEachSide,
            f(l.lineOffset), f(l.lineThickness))
        for mark in plan.marks {
            switch mark {
            case .line(let corners): print("line", corners.map { "\(f($0.x)) \(f($0.y))" }.joined(separator: " "))
            case .text(let p): print("text", f(p.x), f(p.y))
            }
        }
    } catch {
        fail("\(error)")
    }
case "mark" where args.count >= 4:
    let ext = URL(fileURLWithPath: args[2]).pathExtension.lowercased()
    let format: ImageFormat? =
        switch ext {
        case "jpg", "jpeg": .jpeg
        case "heic", "heif": .heif
        default: ImageFormat(rawValue: ext)
        }
    guard let format else { fail("unknown extension .\(ext)") }
    guard let input = readBytes(args[2]) else { fail("cannot read \(args[2])") }
    do {
        let marker = try IdentityWatermark(text: args.count > 5 ? args[5] : defaultText, fontPath: args.count > 4 ? args[4] : nil)
        let marked = try marker.mark(input, format: format)
        guard writeBytes(marked.jpeg, to: args[3]) else { fail("cannot write \(args[3])") }
    } catch {
        fail("\(error)")
    }
default:
    fail("usage: imaging-bench mark IN OUT [FONT] [TEXT] | plan W H [FONT] [TEXT] | shape [TEXT] | noop")
}
