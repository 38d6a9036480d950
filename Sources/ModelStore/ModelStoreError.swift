import Foundation

/// What went wrong in the model store. Messages are fit to show to a client.
public struct ModelStoreError: Error, CustomStringConvertible, Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        case invalidName
        case notFound
        case invalidDigest
        case digestMismatch
        case corrupt
        case io
        case outOfSpace
    }

    let kind: Kind
    /// A sentence for a person.
    public let description: String

    /// The name is not a valid model name.
    public static func invalidName(_ name: String) -> Self {
        .init(kind: .invalidName, description: "invalid model name '\(name)'")
    }
    /// No such model in the store.
    public static func notFound(_ name: String) -> Self {
        .init(kind: .notFound, description: "model '\(name)' not found")
    }
    /// The digest is not `sha256:` followed by 64 hex digits.
    public static func invalidDigest(_ digest: String) -> Self {
        .init(kind: .invalidDigest, description: "invalid digest '\(digest)'")
    }
    /// The bytes do not hash to the expected digest.
    public static func digestMismatch(expected: String, actual: String) -> Self {
        .init(kind: .digestMismatch, description: "digest mismatch, expected '\(expected)', got '\(actual)'")
    }
    /// A manifest or blob is unreadable or inconsistent.
    public static func corrupt(_ what: String) -> Self {
        .init(kind: .corrupt, description: what)
    }
    /// A file-system operation failed.
    public static func io(_ what: String) -> Self {
        .init(kind: .io, description: what)
    }

    /// The store's disk (or quota) is full.
    public static func outOfSpace(_ what: String) -> Self {
        .init(kind: .outOfSpace, description: what)
    }

    /// Whether `error` is a full disk or an exhausted quota (ENOSPC, EDQUOT), as Foundation or
    /// the POSIX layer reports it, directly or as the underlying error.
    public static func isOutOfSpace(_ error: any Error) -> Bool {
        if let error = error as? ModelStoreError { return error.kind == .outOfSpace }
        let nsError = error as NSError
        switch (nsError.domain, nsError.code) {
        case (NSCocoaErrorDomain, CocoaError.fileWriteOutOfSpace.rawValue), (NSPOSIXErrorDomain, Int(ENOSPC)),
            (NSPOSIXErrorDomain, Int(EDQUOT)):
            return true
        default:
            return (nsError.userInfo[NSUnderlyingErrorKey] as? NSError).map(isOutOfSpace) ?? false
        }
    }

    /// True when the model does not exist.
    public var isNotFound: Bool { kind == .notFound }
    /// True when the name itself is malformed.
    public var isInvalidName: Bool { kind == .invalidName }
}
