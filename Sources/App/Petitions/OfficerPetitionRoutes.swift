/// Officers' petitions: the queue, one petition and its files, and the commands (status, documents).
enum OfficerPetitionRoutes {
    static func register(_ r: BackOfficeRouter) {
        r.get(.petitionQueue, use: PetitionQueueController().queue)
        let petition = OfficerPetitionController()
        r.get(.petition, use: petition.show)
        r.get(.petitionAttachment, use: petition.attachment)
        r.get(.petitionDocument, use: petition.document)
        r.get(.petitionDocumentQR, use: petition.documentQR)
        let commands = PetitionCommandsController()
        r.post(.petitionStatus, use: commands.move)
        r.upload(.petitionStatusPhotos, use: commands.moveWithPhotos)
        r.upload(.petitionDocuments, use: commands.upload)
        r.post(.petitionDocumentWithdraw, use: commands.withdraw)
        let counter = CounterFilingController()
        r.get(.petitionNew, use: counter.start)
        r.post(.petitionNew, use: counter.choose)
        r.upload(.petitionNewFile, use: counter.submit)
        let receipt = PetitionReceiptController()
        r.get(.petitionReceipt, use: receipt.a4)
        r.get(.petitionReceiptSlip, use: receipt.slip)
        let work = PetitionAssignmentController()
        r.post(.petitionAssign, use: work.assign)
        r.post(.petitionNotes, use: work.note)
        r.post(.petitionInfoRequest, use: PetitionInfoRequestController().request)
    }
}
