import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Files only the server's own user may read: the data folder (0700 when we create it) and the SQLite database
/// (0600 when we create it; SQLite gives its -wal and -shm files the database file's mode). Existing files and
/// folders keep the mode their operator gave them.
enum PrivateFiles {
    /// Creates `directory` (0700) and any missing parents (the usual mode) unless it exists.
    static func directory(_ directory: URL) throws {
        let path = directory.standardizedFileURL.path
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue { return }
        let parent = directory.standardizedFileURL.deletingLastPathComponent()
        if !FileManager.default.fileExists(atPath: parent.path) {
            try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        }
        if mkdir(path, 0o700) != 0, errno != EEXIST {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path, NSLocalizedDescriptionKey: String(cString: strerror(errno))])
        }
    }

    /// Creates the empty file `file` with mode 0600 unless it exists (never truncates: another process may have
    /// made it a moment ago).
    static func file(_ file: URL) throws {
        let fd = open(file.path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        if fd >= 0 {
            close(fd)
        } else if errno != EEXIST {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: file.path, NSLocalizedDescriptionKey: String(cString: strerror(errno))])
        }
    }
}
