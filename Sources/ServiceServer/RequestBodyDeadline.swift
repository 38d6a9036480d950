import Hummingbird
import HummingbirdCore
import NIOCore
import NIOHTTPTypes

/// Closes a connection whose request body has not fully arrived `deadline` after its head
/// (issue 19: a body sent one byte every 10 s held a connection forever, since Hummingbird's idle
/// timer restarts at every byte). Installed in the pipeline of the edge, the conversations service
/// and the tutor with ``requestBodyDeadline(_:)``; it lives here because those three servers share
/// this module, as they share the token checks.
public final class RequestBodyDeadlineHandler: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = HTTPRequestPart
    public typealias InboundOut = HTTPRequestPart

    let deadline: TimeAmount
    private var timer: Scheduled<Void>?

    /// - Parameter deadline: the longest a request's body may take, from its head to its end.
    public init(deadline: TimeAmount) {
        self.deadline = deadline
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            timer?.cancel()
            let channel = context.channel
            timer = context.eventLoop.scheduleTask(in: deadline) { channel.close(promise: nil) }
        case .end:
            timer?.cancel()
            timer = nil
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    public func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }
}

@available(*, unavailable)
extension RequestBodyDeadlineHandler: Sendable {}

extension HTTP1Channel.Configuration {
    /// HTTP/1 with `idleTimeout` (nil: none; no complete head for that long closes the connection) and a
    /// ``RequestBodyDeadlineHandler`` of `bodyDeadline`.
    public static func guarded(idleTimeout: TimeAmount?, bodyDeadline: TimeAmount) -> Self {
        .init(additionalChannelHandlers: [RequestBodyDeadlineHandler(deadline: bodyDeadline)], idleTimeout: idleTimeout)
    }
}
