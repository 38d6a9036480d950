import Crypto
import Dispatch
import Foundation
import HummingbirdBcrypt
import Synchronization

/// bcrypt (HummingbirdBcrypt) on a Dispatch queue, off Swift's cooperative pool. Measured on this
/// project's 2-core machines (debug build): about 52 ms per hash at cost 10, 111 ms at 11, 208 ms
/// at 12. The cooperative pool has one thread per core, so hashing on it would stall every other
/// request on that thread for as long.
///
/// The queue is serial: a concurrent one let Dispatch start a thread per waiting hash, and dozens
/// of CPU-bound bcrypt threads took the two cores from the cooperative pool (a burst of wrong
/// passwords or decoy hashes delayed every timer of the process by 15–20 s in the unit tests).
/// One hash at a time is about 19 a second, ample for a development identity provider, and a
/// flood of sign-ins queues here instead of starving the server.
///
/// The password is first reduced to the base64 of its SHA-256, because bcrypt reads only the first
/// 72 bytes of its input while Cognito accepts passwords up to 256 characters; without this, two
/// long passwords sharing a 72-byte prefix would be the same password.
enum PasswordHasher {
    private static let queue = DispatchQueue(
        label: "cakap.identity.bcrypt", qos: .userInitiated)

    /// Hashes made so far, by cost: lets a test prove that a path hashes nothing without timing it
    /// on a machine shared with other tests.
    private static let hashesByCost = Mutex<[UInt8: Int]>([:])

    /// How many hashes of `cost` this process has made.
    static func hashesMade(cost: UInt8) -> Int { hashesByCost.withLock { $0[max(cost, 10), default: 0] } }

    static func hash(_ password: String, cost: UInt8) async -> String {
        hashesByCost.withLock { $0[max(cost, 10), default: 0] += 1 }
        let input = prepared(password)
        return await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: Bcrypt.hash(input, cost: max(cost, 10))) }
        }
    }

    static func verify(_ password: String, hash: String) async -> Bool {
        let input = prepared(password)
        return await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: Bcrypt.verify(input, hash: hash)) }
        }
    }

    private static func prepared(_ password: String) -> String {
        Data(SHA256.hash(data: Data(password.utf8))).base64EncodedString()
    }
}
